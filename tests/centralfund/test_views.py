"""Pages and API of the central-fund app: who may do what, Chinese refusals, audited edits."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cityrenew.centralfund.choices import ApplicationState as S
from cityrenew.centralfund.models import Application, FlagshipItem, ProvinceCapRegion, SelectionRound

from .conftest import default_rows, scores_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def city_client(client, city_admin):
    client.force_login(city_admin)
    return client


def _create(client, **extra) -> Application:
    from cityrenew.core.models import Region

    data = {"city": Region.objects.get(code="410100").pk, "year": 2025, "size_class": "mega",
            "old_city_scope": "老城区", "objectives": "", "requested_subsidy": "9", "row_version": "", **extra}
    resp = client.post(reverse("centralfund:application_add"), data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    return Application.objects.get(city__code="410100", year=2025)


def test_city_admin_creates_and_fills(city_client, regions):
    app = _create(city_client)
    assert app.conditions.count() == 3 and app.get_history().filter(action="create").exists()
    resp = city_client.post(reverse("centralfund:application_condition", args=[app.pk, 1]),
                            {"c1-met": "1", "c1-note": "已成立城市更新领导小组"})
    assert resp.status_code == 302
    assert app.conditions.get(condition=1).met is True
    city_client.post(reverse("centralfund:application_flagship", args=[app.pk]),
                     {"kind": "area", "category": "4", "name": "德化街历史文化街区", "description": "", "investment": "3.5"})
    assert FlagshipItem.objects.get(application=app).get_kind_display() == "样板片区"
    page = city_client.get(app.get_absolute_url()).content.decode()
    assert "德化街历史文化街区" in page and "中部地区 10" in page and "基础条件2" in page


def test_subsidy_above_cap_refused_in_form(city_client, regions):
    from cityrenew.core.models import Region

    resp = city_client.post(reverse("centralfund:application_add"), {
        "city": Region.objects.get(code="410100").pk, "year": 2025, "size_class": "large", "requested_subsidy": "10.5",
        "row_version": ""})
    assert resp.status_code == 400
    assert "超过河南省（中部地区）每个城市补助总额上限 10 亿元" in resp.content.decode()
    assert not Application.objects.exists()


def test_negative_subsidy_refused(city_client, regions):
    from cityrenew.core.models import Region

    resp = city_client.post(reverse("centralfund:application_add"), {
        "city": Region.objects.get(code="410100").pk, "year": 2025, "size_class": "large", "requested_subsidy": "-1",
        "row_version": ""})
    assert resp.status_code == 400 and not Application.objects.exists()


def test_others_cannot_write(city_client, client, regions, zhongyuan_editor, viewer):
    app = _create(city_client)
    for user in (zhongyuan_editor, viewer):
        client.force_login(user)
        resp = client.post(reverse("centralfund:application_condition", args=[app.pk, 1]), {"c1-met": "1"})
        assert resp.status_code == 403 and "只有该城市的市级管理员可以填写申报" in resp.content.decode()
        resp = client.post(reverse("centralfund:application_transition", args=[app.pk]), {"target": S.RECOMMENDED})
        assert resp.status_code == 302
        app.refresh_from_db()
        assert app.state == S.DRAFT and app.conditions.get(condition=1).met is None
    assert client.get(app.get_absolute_url()).status_code == 200  # the viewer reads it


def test_package_upload_over_8gb_refused(city_client, regions):
    app = _create(city_client)
    url = reverse("centralfund:application_file", args=[app.pk])
    base = {"kind": "other", "medium": "disc", "name": "航拍影像", "classified_checked": "on"}
    city_client.post(url, {**base, "size_gb": "8"})
    assert app.package_bytes() == 8 * 10**9
    resp = city_client.post(url, {**base, "name": "补充材料", "size_gb": "0.001"}, follow=True)
    assert "超过 8GB" in resp.content.decode()
    assert app.files.count() == 1


def test_caps_page_edit_audited(client, regions, city_admin, viewer):
    row = ProvinceCapRegion.objects.get(province="吉林省")
    client.force_login(viewer)
    assert client.post(reverse("centralfund:caps"), {"row": row.pk, f"r{row.pk}-region": "east"}).status_code == 403
    client.force_login(city_admin)
    page = client.get(reverse("centralfund:caps")).content.decode()
    assert "东北三省" in page and "四、（一）" in page
    resp = client.post(reverse("centralfund:caps"), {"row": row.pk, f"r{row.pk}-region": "east",
                                                     f"r{row.pk}-basis": "省政府通知：按东部"})
    assert resp.status_code == 302
    row.refresh_from_db()
    assert row.region == "east"
    entry = row.get_history().get(action="update")
    assert entry.user == city_admin and entry.changes["region"] == ["central", "east"]


def test_round_page_refuses_bad_file_in_chinese(client, regions):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(get_user_model().objects.create_superuser("mof", password="x"))
    rnd = SelectionRound.objects.create(year=2025)
    data = scores_csv(default_rows(5) + [("绵阳市", "四川省", "90")]).encode()
    resp = client.post(reverse("centralfund:round_action", args=[rnd.pk, "scores"]),
                       {"file": SimpleUploadedFile("scores.csv", data, "text/csv")}, follow=True)
    assert "每省（区、市）只可推荐1个城市参评" in resp.content.decode()
    assert not rnd.candidates.exists()


def test_round_actions_need_the_ministry(city_client, regions):
    rnd = SelectionRound.objects.create(year=2025)
    resp = city_client.post(reverse("centralfund:round_action", args=[rnd.pk, "shortlist"]), follow=True)
    assert "只有财政部、住房城乡建设部" in resp.content.decode()


def test_api(city_client, regions):
    app = _create(city_client)
    data = city_client.get("/api/centralfund/applications/").json()
    rows = data["results"] if isinstance(data, dict) else data
    assert [r["city_name"] for r in rows] == ["郑州市"]
    cap = city_client.get("/api/centralfund/cap/", {"province": "四川省"}).json()
    assert cap["cap_yi"] == 12 and cap["region"] == "西部地区"
    assert city_client.get("/api/centralfund/cap/", {"province": "x"}).status_code == 400
    resp = city_client.post(f"/api/centralfund/applications/{app.pk}/transition/", {"target": S.RECOMMENDED},
                            content_type="application/json")
    assert resp.status_code == 409 and "您无权" in resp.json()["detail"]


def test_demo_is_idempotent(regions):
    from cityrenew.centralfund import demo
    from cityrenew.centralfund.workflow import gate_problems

    demo.load()
    demo.load()
    app = Application.objects.get()
    assert app.conditions.count() == 3 and app.flagships.count() == 2 and SelectionRound.objects.count() == 1
    assert any("基础条件3" in p for p in gate_problems(app))
    assert ProvinceCapRegion.objects.count() == 31


def test_inbox_lists_the_application(city_client, client, regions, make_user):
    from cityrenew.core.inbox import items_for

    app = _create(city_client)
    from django.contrib.auth import get_user_model

    city_user = get_user_model().objects.get(username="cityadmin")
    assert [i.title for i in items_for(city_user)["to_fill"]] == [f"填写{app}"]
    province = make_user("henan", "city_admin", "410000")
    assert not any(i.url == app.get_absolute_url() for items in items_for(province).values() for i in items)


def test_rounds_hidden_from_district_and_viewers(client, regions, zhongyuan_editor, viewer, city_admin):
    rnd = SelectionRound.objects.create(year=2025)
    for user in (zhongyuan_editor, viewer):
        client.force_login(user)
        assert client.get(rnd.get_absolute_url()).status_code == 403
        data = client.get("/api/centralfund/rounds/").json()
        assert (data["results"] if isinstance(data, dict) else data) == []
    client.force_login(city_admin)
    assert client.get(rnd.get_absolute_url()).status_code == 200


def test_round_page_refuses_a_defence_score_out_of_range(client, regions):
    """The defence score typed on the round page: outside 0–100 a Chinese message and nothing saved; 100 passes."""
    from django.contrib.auth import get_user_model

    from cityrenew.centralfund import services

    mof = get_user_model().objects.create_superuser("mof", password="x")
    client.force_login(mof)
    rnd = SelectionRound.objects.create(year=2025, places=3)
    services.import_written_scores(rnd, scores_csv(default_rows(5)).encode(), mof)
    services.make_shortlist(rnd, mof)
    cand = rnd.candidates.filter(status="shortlisted").order_by("rank").first()
    url = reverse("centralfund:round_action", args=[rnd.pk, "defence"])
    for bad in ("100.01", "-1", "abc"):
        resp = client.post(url, {"candidate": cand.pk, "score": bad}, follow=True)
        assert f"{cand.city}「现场答辩得分」" in resp.content.decode(), bad
        cand.refresh_from_db()
        assert cand.defence_score is None
    resp = client.post(url, {"candidate": cand.pk, "score": "100"}, follow=True)
    assert f"已录入{cand.city}的现场答辩得分" in resp.content.decode()
    cand.refresh_from_db()
    assert cand.defence_score == 100

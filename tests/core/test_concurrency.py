"""Optimistic concurrency (乐观锁): two stale writes — the second is refused with what changed since,
on the edit page and through the API (ETag/If-Match and the body's row_version) — and concurrent
writers on real database connections: exactly one wins."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import OperationalError, close_old_connections, connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cityrenew.core.models import AuditLog, Region, StaleObjectError
from cityrenew.projects.models import ProjectFunding, RenewalProject

CODE = "K202201005"


def make_project(regions) -> RenewalProject:
    zhongyuan = Region.objects.get(code="410102")
    p = RenewalProject.objects.create(
        code=CODE, name="芝麻街1958双创园", city=zhongyuan.parent, total_investment=Decimal("50"),
        category="old_community", status="library",
    )
    p.districts.add(zhongyuan)
    return RenewalProject.objects.get(pk=p.pk)


def api(user) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return c


def form_data(project: RenewalProject, **changes) -> dict:
    data = {
        "name": project.name, "districts": [str(d.pk) for d in project.districts.all()],
        "region_group": str(project.region_group_id or ""), "total_investment": str(project.total_investment),
        "category": project.category, "status": project.status, "implementing_entity": "", "start_year": "",
        "end_year": "", "batch": "", "seq": "", "description": project.description,
        "fundings-TOTAL_FORMS": "0", "fundings-INITIAL_FORMS": "0", "fundings-MIN_NUM_FORMS": "0",
        "fundings-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


# --- the model ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_save_bumps_the_version_and_a_stale_instance_cannot_save(regions):
    p = make_project(regions)
    assert p.row_version == 1
    a, b = RenewalProject.objects.get(pk=p.pk), RenewalProject.objects.get(pk=p.pk)
    a.name = "A"
    a.save()
    assert a.row_version == 2
    b.name = "B"
    with pytest.raises(StaleObjectError):
        b.save()
    assert b.row_version == 1  # unchanged: the caller may show the difference and retry
    p.refresh_from_db()
    assert (p.name, p.row_version) == ("A", 2)
    assert AuditLog.for_object(p).filter(action="update", object_version=2).get().changes["name"] == ["芝麻街1958双创园", "A"]
    # queryset updates (and so bulk_update) bump it too
    RenewalProject.objects.filter(pk=p.pk).update(description="批量")
    p.refresh_from_db()
    assert p.row_version == 3
    p.description = "x"
    RenewalProject.objects.bulk_update([p], ["description"])
    p.refresh_from_db()
    assert p.row_version == 4
    p.save(update_fields=["name"])
    assert RenewalProject.objects.get(pk=p.pk).row_version == 5


# --- the edit page -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_second_stale_save_on_the_page_is_refused_with_what_changed(client, regions, zhongyuan_editor, make_user):
    other = make_user("zyeditor2", "district_editor", "410102", first_name="另一编辑")
    p = make_project(regions)
    # both editors open the edit page at version 1
    assert client.login(username="zyeditor2", password="pass-zyeditor2")
    html = client.get(f"/projects/{CODE}/edit/").content.decode()
    assert 'name="row_version" value="1"' in html
    r = client.post(f"/projects/{CODE}/edit/", form_data(p, name="芝麻街1958（一期）", total_investment="55", row_version="1"))
    assert r.status_code == 302
    client.logout()

    assert client.login(username="zyeditor", password="pass-zyeditor")
    before = AuditLog.objects.count()
    r = client.post(f"/projects/{CODE}/edit/", form_data(p, name="芝麻街（我的）", description="我的说明", row_version="1"))
    assert r.status_code == 409
    html = r.content.decode()
    assert "已被他人修改" in html and "您基于第 1 版，当前为第 2 版" in html
    assert "项目名称：芝麻街1958双创园 → 芝麻街1958（一期）" in html
    assert "项目总投资（亿元）：50 → 55" in html
    assert other.username in html
    assert "芝麻街（我的）" in html and "我的说明" in html  # the user's input is kept
    assert 'name="row_version" value="2"' in html  # …and now carries the current version
    p.refresh_from_db()
    assert (p.name, p.total_investment, p.row_version) == ("芝麻街1958（一期）", Decimal("55"), 2)
    assert AuditLog.objects.count() == before  # nothing written

    # after reading what changed, submitting again saves
    r = client.post(f"/projects/{CODE}/edit/", form_data(p, name="芝麻街（我的）", row_version="2"))
    assert r.status_code == 302
    p.refresh_from_db()
    assert (p.name, p.row_version) == ("芝麻街（我的）", 3)
    assert AuditLog.for_object(p).first().user == zhongyuan_editor


@pytest.mark.django_db
def test_stale_delete_is_refused(client, regions, zhongyuan_editor):
    p = make_project(regions)
    assert client.login(username="zyeditor", password="pass-zyeditor")
    RenewalProject.objects.filter(pk=p.pk).update(name="别人改过")
    r = client.post(f"/projects/{CODE}/delete/", {"row_version": "1"})
    assert r.status_code == 409 and "没有删除" in r.content.decode()
    assert RenewalProject.objects.filter(pk=p.pk).exists()
    assert client.post(f"/projects/{CODE}/delete/", {"row_version": "2"}).status_code == 302
    assert not RenewalProject.objects.filter(pk=p.pk).exists()


# --- the API -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_etag_and_if_match(regions, zhongyuan_editor):
    p = make_project(regions)
    c = api(zhongyuan_editor)
    r = c.get(f"/api/projects/{CODE}/")
    assert r.status_code == 200 and r["ETag"] == '"1"' and r.json()["row_version"] == 1
    r = c.patch(f"/api/projects/{CODE}/", {"name": "第一次"}, format="json", HTTP_IF_MATCH='"1"')
    assert r.status_code == 200 and r["ETag"] == '"2"' and r.json()["row_version"] == 2
    # the second writer still holds ETag "1"
    before = AuditLog.objects.count()
    r = c.patch(f"/api/projects/{CODE}/", {"name": "第二次"}, format="json", HTTP_IF_MATCH='"1"')
    assert r.status_code == 412
    body = r.json()
    assert "已被他人修改" in body["detail"] and "项目名称：芝麻街1958双创园 → 第一次" in body["detail"]
    assert body["row_version"] == 2 and body["your_row_version"] == 1 and r["ETag"] == '"2"'
    assert body["changes"][0]["label"] == "项目名称" and body["changes"][0]["user"] == zhongyuan_editor.username
    assert AuditLog.objects.count() == before
    p.refresh_from_db()
    assert p.name == "第一次"
    # W/ weak tags and "*" are understood; a garbage tag is refused
    assert c.patch(f"/api/projects/{CODE}/", {"name": "三"}, format="json", HTTP_IF_MATCH='W/"2"').status_code == 200
    assert c.patch(f"/api/projects/{CODE}/", {"name": "四"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    r = c.patch(f"/api/projects/{CODE}/", {"name": "五"}, format="json", HTTP_IF_MATCH="abc")
    assert r.status_code == 412 and "If-Match 格式不正确" in r.json()["detail"]
    # DELETE with a stale If-Match
    assert c.delete(f"/api/projects/{CODE}/", HTTP_IF_MATCH='"1"').status_code == 412
    assert RenewalProject.objects.filter(pk=p.pk).exists()


@pytest.mark.django_db
def test_api_body_row_version(regions, zhongyuan_editor):
    p = make_project(regions)
    c = api(zhongyuan_editor)
    r = c.patch(f"/api/projects/{CODE}/", {"name": "甲", "row_version": 1}, format="json")
    assert r.status_code == 200 and r.json()["row_version"] == 2
    r = c.patch(f"/api/projects/{CODE}/", {"name": "乙", "row_version": 1}, format="json")
    assert r.status_code == 409
    assert "项目名称：芝麻街1958双创园 → 甲" in r.json()["detail"]
    assert c.patch(f"/api/projects/{CODE}/", {"name": "乙", "row_version": "x"}, format="json").status_code == 400
    p.refresh_from_db()
    assert (p.name, p.row_version) == ("甲", 2)
    # fundings carry their own version
    f = ProjectFunding.objects.create(project=p, source="credit", amount=2)
    assert c.get(f"/api/fundings/{f.pk}/")["ETag"] == '"1"'
    assert c.patch(f"/api/fundings/{f.pk}/", {"amount": "3", "row_version": 1}, format="json").status_code == 200
    assert c.patch(f"/api/fundings/{f.pk}/", {"amount": "4", "row_version": 1}, format="json").status_code == 409
    assert ProjectFunding.objects.get(pk=f.pk).amount == 3


# --- concurrent writers on real connections ------------------------------------------------------------


def _race(pk: int, names: list[str]) -> list[str]:
    """Each thread loads the project, waits for all, then saves; returns each thread's outcome."""
    barrier = threading.Barrier(len(names))
    outcome: list[str] = [""] * len(names)

    def writer(i: int, name: str) -> None:
        try:
            obj = RenewalProject.objects.get(pk=pk)
            barrier.wait(timeout=30)
            obj.name = name
            for _ in range(200):  # SQLite may answer "locked" while another writer holds the lock
                try:
                    obj.save()
                    outcome[i] = "won"
                    return
                except StaleObjectError:
                    outcome[i] = "stale"
                    return
                except OperationalError as exc:
                    if "locked" not in str(exc):
                        raise
                    threading.Event().wait(0.01)
            outcome[i] = "gave up"
        except Exception as exc:  # noqa: BLE001 - reported in the assertion below
            outcome[i] = f"error: {exc!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i, n)) for i, n in enumerate(names)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    close_old_connections()
    return outcome


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_exactly_one_wins(regions):
    p = make_project(regions)
    names = [f"写入者{i}" for i in range(6)]
    outcome = _race(p.pk, names)
    assert outcome.count("won") == 1 and outcome.count("stale") == 5, outcome
    p.refresh_from_db()
    assert p.row_version == 2
    assert p.name == names[outcome.index("won")]
    updates = AuditLog.for_object(p).filter(action="update", object_version__gt=1)
    assert updates.count() == 1 and updates.get().changes["name"][1] == p.name


@pytest.mark.django_db
def test_stale_inline_funding_row_is_refused_and_nothing_is_saved(client, regions, zhongyuan_editor):
    p = make_project(regions)
    f = ProjectFunding.objects.create(project=p, source="credit", amount=Decimal("2"))
    assert client.login(username="zyeditor", password="pass-zyeditor")
    html = client.get(f"/projects/{CODE}/edit/").content.decode()
    assert 'name="fundings-0-row_version" value="1"' in html
    # meanwhile the funding is changed through the API
    assert api(zhongyuan_editor).patch(f"/api/fundings/{f.pk}/", {"amount": "3"}, format="json").status_code == 200
    data = form_data(p, name="改了名字", row_version="1", **{
        "fundings-TOTAL_FORMS": "1", "fundings-INITIAL_FORMS": "1", "fundings-0-id": str(f.pk),
        "fundings-0-project": str(p.pk), "fundings-0-source": "credit", "fundings-0-amount": "5",
        "fundings-0-note": "", "fundings-0-row_version": "1",
    })
    r = client.post(f"/projects/{CODE}/edit/", data)
    assert r.status_code == 409
    html = r.content.decode()
    assert "已被他人修改" in html and "金额（亿元）：2 → 3" in html
    assert 'name="fundings-0-row_version" value="2"' in html and 'name="row_version" value="1"' in html
    p.refresh_from_db()
    assert (p.name, p.row_version) == ("芝麻街1958双创园", 1)  # the project's own save was rolled back too
    assert ProjectFunding.objects.get(pk=f.pk).amount == Decimal("3")
    data["fundings-0-row_version"] = "2"
    assert client.post(f"/projects/{CODE}/edit/", data).status_code == 302
    assert ProjectFunding.objects.get(pk=f.pk).amount == Decimal("5")
    assert RenewalProject.objects.get(pk=p.pk).name == "改了名字"

"""The public voting pages and the staff pages through the test client (real DB, real files)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document

from cityrenew.ballots import services
from cityrenew.ballots.models import Ballot, Vote
from cityrenew.core.models import AuditLog

from .conftest import close_now, write_register

pytestmark = pytest.mark.django_db

ROWS = [("1", "1", "101", "张三", "80", ""), ("1", "1", "102", "张三", "60", ""), ("1", "1", "103", "李四", "90", ""),
        ("1", "1", "104", "", "70", "是")]


@pytest.fixture
def vote(make_vote, tmp_path):
    v = make_vote()
    services.import_register(v, write_register(tmp_path / "r.csv", ROWS))
    return v


def codes_for(vote):
    return {u.room: c for u, c in services.issue_codes(vote)}


def test_public_cast_receipt_change_and_refusals(client, vote):
    codes = codes_for(vote)
    url = f"/public/vote/{vote.pk}/"
    page = client.get(url)
    assert page.status_code == 200 and "提交表决" in page.content.decode()
    assert "张三" not in page.content.decode()  # the register is not public
    r = client.post(url, {"action": "cast", "code": codes["101"], "choice": "同意"})
    body = r.content.decode()
    assert r.status_code == 200 and "表决已提交" in body and "1栋1单元101" in body and "1栋1单元102" in body
    receipt = body.split('data-testid="receipt-code">')[1].split("<")[0]
    assert r["Cache-Control"].startswith("max-age=0") or "no-cache" in r["Cache-Control"]
    # a second ballot with the used code: refused in Chinese, nothing changed
    before = (Ballot.objects.count(), AuditLog.objects.count())
    r = client.post(url, {"action": "cast", "code": codes["101"], "choice": "反对"})
    assert r.status_code == 400 and "该表决码已使用，不能再次投票" in r.content.decode()
    assert (Ballot.objects.count(), AuditLog.objects.count()) == before
    r = client.post(url, {"action": "change", "receipt": receipt, "choice": "弃权"})
    assert r.status_code == 200 and "表决意见已修改" in r.content.decode()
    assert Ballot.objects.get(person="张三").choice == "弃权"
    r = client.post(url, {"action": "cast", "code": "", "choice": "同意"})
    assert r.status_code == 400 and "请填写表决码" in r.content.decode()


def test_public_code_from_another_vote_and_after_close(client, vote, make_vote, tmp_path):
    other = make_vote(title="另一项表决")
    services.import_register(other, write_register(tmp_path / "o.csv", [("8", "1", "801", "王五", "80", "")]))
    other_code = codes_for(other)["801"]
    codes = codes_for(vote)
    url = f"/public/vote/{vote.pk}/"
    r = client.post(url, {"action": "cast", "code": other_code, "choice": "同意"})
    assert r.status_code == 400 and "该表决码属于另一项表决（另一项表决）" in r.content.decode()
    close_now(vote)
    r = client.post(url, {"action": "cast", "code": codes["103"], "choice": "同意"})
    assert r.status_code == 400 and "截止，不能再表决或修改" in r.content.decode()
    assert Ballot.objects.count() == 0
    page = client.get(url).content.decode()
    assert 'data-testid="vote-outcome">未通过' in page and "提交表决" not in page


def test_public_failed_attempts_are_limited(client, vote, settings):
    from cityrenew.ballots import public

    url = f"/public/vote/{vote.pk}/"
    for _ in range(public.FAILED_LIMIT):
        assert client.post(url, {"action": "cast", "code": "AAAA-BBBB-CCCC", "choice": "同意"}).status_code == 400
    r = client.post(url, {"action": "cast", "code": "AAAA-BBBB-CCCC", "choice": "同意"})
    assert r.status_code == 429 and "尝试次数过多" in r.content.decode()


def test_staff_page_shows_turnout_not_choices_before_close(client, vote, entity_clerk):
    codes = codes_for(vote)
    services.cast(vote, codes["103"], "反对")
    client.force_login(entity_clerk)
    page = client.get(f"/plans/votes/{vote.pk}/").content.decode()
    assert "已表决业主 1 / 3 人，专有部分 1 / 4 个" in page
    assert 'data-testid="vote-result"' not in page and "<td>已使用</td>" in page
    assert client.get(f"/plans/votes/{vote.pk}/ballots.csv").status_code == 403
    assert "前结果不公开" in client.get(f"/plans/votes/{vote.pk}/certificate/").content.decode()
    close_now(vote)
    page = client.get(f"/plans/votes/{vote.pk}/").content.decode()
    assert 'data-testid="vote-outcome">未通过' in page
    doc = Document(io.BytesIO(client.get(f"/plans/votes/{vote.pk}/certificate/").content))
    assert "表决结果：未通过" in "\n".join(p.text for p in doc.paragraphs)


def test_staff_register_codes_paper_through_the_pages(client, make_vote, entity_clerk, tmp_path):
    client.force_login(entity_clerk)
    vote = make_vote()
    csv_bytes = write_register(tmp_path / "r.csv", ROWS).read_bytes()
    r = client.post(f"/plans/votes/{vote.pk}/register/", {"file": SimpleUploadedFile("r.csv", csv_bytes)}, follow=True)
    assert "已导入业主名册：4 个专有部分" in r.content.decode()
    r = client.post(f"/plans/votes/{vote.pk}/codes/")
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert vote.units.filter(code_hash="").count() == 0
    unit = vote.units.get(room="103")
    pdf = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n%%EOF\n")
    r = client.post(f"/plans/votes/{vote.pk}/paper/", {"unit": unit.pk, "choice": "同意", "scan": pdf}, follow=True)
    assert "已录入1栋1单元103（李四）的纸质表决票" in r.content.decode()
    assert Ballot.objects.get(person="李四").source == "paper"


def test_outsiders_cannot_organise_a_vote(client, vote, make_user, erqi_editor):
    viewer = make_user("someone", "viewer", "410102")
    for user in (viewer, erqi_editor):
        client.force_login(user)
        r = client.post(f"/plans/votes/{vote.pk}/codes/")
        assert r.status_code == 403 and "无权操作业主表决" in r.content.decode()
    assert vote.units.exclude(code_hash="").count() == 0
    assert client.get(f"/plans/votes/{vote.pk}/").status_code == 403  # 二七区 editor: not this district


def test_create_vote_through_the_form(client, plan, entity_clerk):
    client.force_login(entity_clerk)
    r = client.get("/plans/votes/new/")
    assert r.status_code == 200 and plan.code in r.content.decode()
    data = {"plan": plan.pk, "title": "加装电梯", "matter": "elevator", "building": "", "unit": "",
            "opens_at": "2030-01-01T09:00", "closes_at": "2029-01-01T09:00", "row_version": ""}
    r = client.post("/plans/votes/new/", data)
    body = r.content.decode()
    assert r.status_code == 400 and "截止时间须晚于开始时间" in body and "须填写电梯所在的楼栋和单元" in body
    data.update(building="5", unit="2", closes_at="2030-01-15T18:00")
    r = client.post("/plans/votes/new/", data)
    assert r.status_code == 302
    v = Vote.objects.get(title="加装电梯")
    assert v.created_by == entity_clerk and v.building == "5"


def test_vote_history_readable_by_the_entity_not_by_another_district(client, vote, entity_clerk, erqi_editor):
    from cityrenew.core.permissions import visible_history

    vote.title = "小区改建（修订）"
    vote.save()
    assert visible_history(entity_clerk, vote).filter(action="update").count() == 1
    assert visible_history(erqi_editor, vote).count() == 0
    unit = vote.units.first()
    assert visible_history(entity_clerk, unit).count() == 1 and visible_history(erqi_editor, unit).count() == 0


def test_api_shows_turnout_before_close_and_the_result_after(client, vote, entity_clerk, erqi_editor):
    codes = codes_for(vote)
    services.cast(vote, codes["101"], "同意")
    client.force_login(erqi_editor)
    assert client.get("/api/votes/").json()["count"] == 0  # another district's editor
    client.force_login(entity_clerk)
    body = client.get(f"/api/votes/{vote.pk}/").json()
    assert body["turnout"] == {"persons_total": 3, "persons_voted": 1, "units_total": 4, "units_voted": 2}
    assert body["result"] is None and body["ballots_sha256"] == ""
    close_now(vote)
    body = client.get(f"/api/votes/{vote.pk}/").json()
    assert body["result"]["owners_voted"] == 1 and body["result"]["passed"] is False and len(body["ballots_sha256"]) == 64


def test_inbox_of_the_entity(vote, entity_clerk, zhongyuan_editor):
    from cityrenew.core.inbox import items_for

    def votes(user):  # this app's items (the plans app lists the plan in consultation too)
        return [i for i in items_for(user).get("to_fill", []) if i.title.startswith("业主表决：")]

    assert [i.title for i in votes(entity_clerk)] == [f"业主表决：{vote.title}"]  # codes to issue
    codes_for(vote)
    assert votes(entity_clerk) == []
    close_now(vote)
    [item] = votes(entity_clerk)
    assert "请查看结果" in item.detail
    assert votes(zhongyuan_editor) == []  # the district's editor is not the entity


def test_a_started_vote_may_be_extended_not_cut_short(client, vote, entity_clerk):
    client.force_login(entity_clerk)
    fmt = "%Y-%m-%dT%H:%M"
    from django.utils import timezone

    data = {"title": vote.title, "matter": vote.matter, "building": "", "unit": "", "description": "",
            "opens_at": timezone.localtime(vote.opens_at).strftime(fmt), "row_version": vote.row_version}
    earlier = timezone.localtime(vote.closes_at) - timezone.timedelta(minutes=30)
    r = client.post(f"/plans/votes/{vote.pk}/edit/", {**data, "closes_at": earlier.strftime(fmt)})
    assert r.status_code == 400 and "表决开始后不能提前截止" in r.content.decode()
    later = timezone.localtime(vote.closes_at) + timezone.timedelta(days=2)
    r = client.post(f"/plans/votes/{vote.pk}/edit/", {**data, "closes_at": later.strftime(fmt)})
    assert r.status_code == 302
    vote.refresh_from_db()
    assert timezone.localtime(vote.closes_at).strftime(fmt) == later.strftime(fmt)
    assert client.get(f"/plans/votes/new/?plan={vote.plan_id}").status_code == 200


def test_after_codes_the_matter_and_electorate_are_fixed(client, vote, entity_clerk):
    from django.utils import timezone

    codes_for(vote)
    client.force_login(entity_clerk)
    fmt = "%Y-%m-%dT%H:%M"
    data = {"title": "改名不影响表决", "matter": vote.matter, "building": "", "unit": "", "description": "",
            "opens_at": timezone.localtime(vote.opens_at).strftime(fmt),
            "closes_at": timezone.localtime(vote.closes_at).strftime(fmt), "row_version": vote.row_version}
    r = client.post(f"/plans/votes/{vote.pk}/edit/", {**data, "matter": "ordinary"})
    assert r.status_code == 400 and "表决码已发放，不能再修改事项类型" in r.content.decode()
    r = client.post(f"/plans/votes/{vote.pk}/edit/", data)  # same minute, other fields: saved
    assert r.status_code == 302
    vote.refresh_from_db()
    assert vote.title == "改名不影响表决" and vote.matter == "major"


def test_paper_scan_readable_only_after_close(client, vote, entity_clerk, erqi_editor, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    codes_for(vote)
    pdf = b"%PDF-1.4\n%%EOF\n"
    ballot = services.cast_paper(vote, vote.units.get(room="103"), "反对", SimpleUploadedFile("scan.pdf", pdf), entity_clerk)
    client.force_login(entity_clerk)
    url = f"/media/{ballot.scan.name}"
    assert client.get(url).status_code == 403  # the scan shows the choice: not before close
    close_now(vote)
    r = client.get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content) == pdf
    assert url in client.get(f"/plans/votes/{vote.pk}/").content.decode()
    client.force_login(erqi_editor)
    assert client.get(url).status_code == 403


def test_public_index_lists_current_and_recent_votes(client, vote, make_vote):
    old = make_vote(title="两年前的表决", opens=-24 * 800, closes=-24 * 790)
    page = client.get("/public/vote/").content.decode()
    assert vote.title in page and old.title not in page
    assert "表决中" in page


def test_vote_list_scoped_and_exported(client, vote, entity_clerk, erqi_editor):
    client.force_login(entity_clerk)
    page = client.get("/plans/votes/").content.decode()
    assert vote.title in page and "表决中" in page
    r = client.get("/plans/votes/?export=xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    client.force_login(erqi_editor)
    assert vote.title not in client.get("/plans/votes/").content.decode()


def test_after_close_a_voter_checks_the_ballot_with_the_last_receipt(client, vote):
    codes = codes_for(vote)
    _, first, _ = services.cast(vote, codes["101"], "同意")
    _, last, _ = services.change(vote, first, "反对")
    url = f"/public/vote/{vote.pk}/"
    r = client.post(url, {"action": "verify", "receipt": last})
    assert r.status_code == 400 and "表决截止后方可核对" in r.content.decode()
    close_now(vote)
    r = client.post(url, {"action": "verify", "receipt": first})
    assert r.status_code == 400 and "回执码无效或已作废" in r.content.decode()
    r = client.post(url, {"action": "verify", "receipt": last})
    body = r.content.decode()
    assert r.status_code == 200 and "您（张三）的表决意见“<strong>反对</strong>”已计入" in body
    assert "1栋1单元101、1栋1单元102" in body


def test_a_vote_is_deleted_only_before_codes_are_issued(client, vote, entity_clerk):
    from cityrenew.core.models import AuditLog

    client.force_login(entity_clerk)
    codes_for(vote)
    r = client.post(f"/plans/votes/{vote.pk}/delete/", {"row_version": vote.row_version})
    assert r.status_code == 403 and "已发放表决码，不能删除" in r.content.decode()
    assert Vote.objects.filter(pk=vote.pk).exists()
    vote.units.update(code_hash="")  # as if none were issued
    r = client.post(f"/plans/votes/{vote.pk}/delete/", {"row_version": vote.row_version})
    assert r.status_code == 302 and not Vote.objects.filter(pk=vote.pk).exists()
    assert AuditLog.objects.filter(action="delete", object_repr__contains="小区改建").exists()

"""Public notices of implementation plans (北京联审办法第十一条): publication, period, comments, moderation,
the frozen content and its hash, the notice record, closing at the end, and the public pages."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import pytest
from docx import Document

from cityrenew.core.models import AuditLog
from cityrenew.notices import services
from cityrenew.notices.choices import CommentKind, CommentStatus, NoticeStatus
from cityrenew.notices.models import Comment, Notice, Report
from cityrenew.plans.choices import PlanState
from cityrenew.plans.models import PlanTransition
from cityrenew.workdays.calendar import add_workdays

pytestmark = pytest.mark.django_db


def publish(scene, **kw) -> Notice:
    return services.publish(scene["plan"], user=scene["authority"], **kw)


def comment(notice, **kw) -> Comment:
    data = {"name": "王建国", "contact": "13800138000", "body": "建议保留小区东侧的老槐树。", "ip": "10.0.0.1"} | kw
    return services.add_comment(notice, **data)


# --- the period ---------------------------------------------------------------------------------


def test_period_across_national_day_counts_working_days_from_the_next_day():
    # 2025-09-26 (Fri) + 15 working days: 09-28 (Sun) is an adjusted working day, 10-01..10-08 are the
    # holiday, 10-11 (Sat) is an adjusted working day — the CLI contract's example.
    n = Notice(start_date=dt.date(2025, 9, 26), days=15, end_date=dt.date(2025, 10, 23))
    assert add_workdays(n.start_date, 15) == n.end_date
    assert services.workdays_left(n, dt.date(2025, 9, 26)) == 15  # start day not counted (民法典第二百零一条)
    assert services.workdays_left(n, dt.date(2025, 9, 27)) == 15  # 09-27 is a Saturday, the first counted day is 09-28
    assert services.workdays_left(n, dt.date(2025, 9, 29)) == 14  # 09-28 has passed
    assert services.workdays_left(n, dt.date(2025, 10, 5)) == 12  # the holiday counts for nothing
    assert services.workdays_left(n, dt.date(2025, 10, 23)) == 1  # the last day is still running
    assert services.workdays_left(n, dt.date(2025, 10, 24)) == 0
    assert n.status_on(dt.date(2025, 9, 25)) == NoticeStatus.UPCOMING
    assert n.status_on(dt.date(2025, 10, 23)) == NoticeStatus.ACTIVE
    assert n.status_on(dt.date(2025, 10, 24)) == NoticeStatus.ENDED


@pytest.mark.parametrize("days, refused", [(14, True), (15, False), (16, False), (0, True), ("x", True)])
def test_period_refusal_at_the_legal_minimum(days, refused):
    reason = services.period_refusal(dt.date(2025, 9, 26), days)
    assert bool(reason) is refused
    if days == 14:
        assert "不得少于15个工作日" in reason and "第十一条" in reason


# --- publication --------------------------------------------------------------------------------


def test_publish_freezes_content_moves_the_plan_and_is_audited(scene):
    plan = scene["plan"]
    notice = publish(scene)
    plan.refresh_from_db()
    assert plan.state == PlanState.NOTICE
    t = PlanTransition.objects.get(plan=plan, to_state=PlanState.NOTICE)
    assert t.user == scene["authority"] and notice.end_date.isoformat() in t.note
    assert notice.start_date == services.today() and notice.days == 15
    assert notice.end_date == add_workdays(notice.start_date, 15)
    c = notice.content
    assert c["plan_code"] == "SS-2026-001" and c["summary"].startswith("改造建筑面积3.2万平方米")
    assert c["location"] == {"type": "Point", "coordinates": [113.6312, 34.7535]}
    assert c["end_date"] == notice.end_date.isoformat() and "第十一条" in c["basis"]
    raw = json.dumps(c, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    assert notice.content_sha256 == hashlib.sha256(raw).hexdigest()
    assert AuditLog.objects.filter(object_id=str(notice.pk), action="create", content_type__model="notice").exists()
    # the plan changes later; the published content does not
    plan.summary = "另一份概要"
    plan.save()
    notice.refresh_from_db()
    assert notice.content["summary"].startswith("改造建筑面积")


def test_a_shorter_period_is_refused_in_chinese_and_nothing_changes(scene):
    with pytest.raises(services.NoticeError, match="公示期14个工作日短于法定期限.*第十一条.*不得少于15个工作日"):
        publish(scene, days=14)
    scene["plan"].refresh_from_db()
    assert scene["plan"].state == PlanState.APPROVED
    assert not Notice.objects.exists() and not PlanTransition.objects.exists()


def test_the_pinned_day_counts_the_period_across_national_day(scene, pinned_today):
    notice = publish(scene)
    assert notice.start_date == dt.date(2026, 9, 25) == services.today()
    # 09-28..09-30 (3), 10-01..10-07 the holiday, 10-08, 10-09, 10-10 (adjusted Saturday) (6), then 10-12..10-22
    assert notice.end_date == dt.date(2026, 10, 22)


def test_a_period_reaching_an_unknown_year_is_refused_and_nothing_changes(scene, settings):
    settings.CITYRENEW_TODAY = "2026-12-11"  # 15 working days reach 2027, which chinese-calendar does not know
    with pytest.raises(services.NoticeError, match="2027年的节假日安排未知.*cityrenew calendar load-notice"):
        publish(scene)
    scene["plan"].refresh_from_db()
    assert scene["plan"].state == PlanState.APPROVED
    assert not Notice.objects.exists() and not PlanTransition.objects.exists()
    settings.CITYRENEW_TODAY = "2026-12-10"  # the last start day whose 15 working days stay in 2026
    assert publish(scene).end_date == dt.date(2026, 12, 31)


def test_only_the_districts_authority_publishes(scene):
    for user in (scene["other_district"], scene["entity_user"]):
        with pytest.raises(services.NoticeError, match="无权发布"):
            services.publish(scene["plan"], user=user)
    assert not Notice.objects.exists()


def test_a_plan_not_approved_cannot_be_noticed_and_no_past_start(scene):
    with pytest.raises(services.NoticeError, match="早于今天"):
        publish(scene, start_date=services.today() - dt.timedelta(days=1))
    plan = scene["plan"]
    plan.state = PlanState.JOINT_REVIEW
    plan.save()
    with pytest.raises(services.NoticeError, match="通过联合审查后才能公示"):
        publish(scene)
    assert not Notice.objects.exists()


def test_the_workflow_refuses_notice_without_a_published_notice(scene):
    from cityrenew.plans import workflow

    with pytest.raises(workflow.TransitionError, match="发布公示"):
        workflow.transition(scene["plan"], PlanState.NOTICE, user=scene["authority"])


# --- closing at the end ---------------------------------------------------------------------------


def test_close_ended_moves_the_plan_on_only_after_the_last_day(scene):
    from cityrenew.plans import workflow

    notice = publish(scene)
    assert services.close_ended() == []  # running
    with pytest.raises(workflow.TransitionError, match="届满后方可"):
        workflow.transition(scene["plan"], PlanState.PERMITS, user=scene["authority"])
    # the period ended yesterday (dates moved back as if published 30 days ago)
    Notice.objects.filter(pk=notice.pk).update(start_date=services.today() - dt.timedelta(days=30),
                                               end_date=services.today() - dt.timedelta(days=1))
    assert services.close_ended() == [notice]
    scene["plan"].refresh_from_db()
    assert scene["plan"].state == PlanState.PERMITS
    t = PlanTransition.objects.get(plan=scene["plan"], to_state=PlanState.PERMITS)
    assert t.user is None and "届满" in t.note
    assert services.close_ended() == []  # idempotent


def test_close_command_and_record_command(scene, tmp_path):
    from django.core.management import call_command

    notice = publish(scene)
    Notice.objects.filter(pk=notice.pk).update(end_date=services.today() - dt.timedelta(days=1),
                                               start_date=services.today() - dt.timedelta(days=25))
    out = io.StringIO()
    call_command("notices", "close", stdout=out)
    assert "SS-2026-001" in out.getvalue() and "共处理1项" in out.getvalue()
    call_command("notices", "record", str(notice.pk), str(tmp_path / "r.docx"), stdout=out)
    assert (tmp_path / "r.docx").stat().st_size > 0


# --- comments -------------------------------------------------------------------------------------


def test_comment_is_stored_with_private_contact_not_in_audit(scene):
    notice = publish(scene)
    c = comment(notice, kind=CommentKind.OBJECTION)
    assert c.kind == CommentKind.OBJECTION and c.contact == "13800138000" and c.public_name == "王**"
    entry = AuditLog.objects.get(object_id=str(c.pk), action="create", content_type__model="comment")
    assert "13800138000" not in json.dumps(entry.changes, ensure_ascii=False)
    assert "client_hash" not in entry.changes and "10.0.0.1" not in json.dumps(entry.changes)


@pytest.mark.parametrize("kw, message", [
    ({"name": ""}, "请填写署名"),
    ({"contact": "微信群"}, "联系方式应为电话号码或电子邮箱"),
    ({"body": "   "}, "请填写内容"),
    ({"body": "长" * 2001}, "内容过长：最多2000字，现有2001字"),
    ({"kind": "reply"}, "意见类型只能是"),
    ({"honeypot": "http://spam.example"}, "提交未被接受"),
])
def test_bad_comments_are_refused_in_chinese(scene, kw, message):
    notice = publish(scene)
    with pytest.raises(services.NoticeError, match=message):
        comment(notice, **kw)
    assert not Comment.objects.exists()


def test_comment_rate_limit_per_address_at_the_boundary(scene, settings):
    settings.CITYRENEW_NOTICE_COMMENTS_PER_HOUR = 3
    notice = publish(scene)
    for _ in range(3):
        comment(notice)
    with pytest.raises(services.NoticeError, match="每小时最多提交3条"):
        comment(notice)
    comment(notice, ip="10.0.0.2")  # another address is not held back
    assert Comment.objects.count() == 4


def test_comments_only_while_the_notice_runs(scene):
    notice = publish(scene)
    Notice.objects.filter(pk=notice.pk).update(start_date=services.today() - dt.timedelta(days=30),
                                               end_date=services.today() - dt.timedelta(days=1))
    notice.refresh_from_db()
    with pytest.raises(services.NoticeError, match="当前不在公示期内"):
        comment(notice)


# --- moderation and replies -----------------------------------------------------------------------


def test_hide_with_reason_keeps_replies_and_is_audited(scene):
    notice = publish(scene)
    c = comment(notice)
    services.report(c, reason="含有他人电话", ip="10.0.0.9")
    r = services.reply(c, user=scene["entity_user"], body="感谢建议，老槐树将原地保留。")
    assert r.kind == CommentKind.REPLY and r.parent == c and r.name == "郑州中原城市更新有限公司"
    with pytest.raises(services.NoticeError, match="请填写隐藏理由"):
        services.moderate(c, user=scene["authority"], hide=True, reason="")
    with pytest.raises(services.NoticeError, match="无权处理"):
        services.moderate(c, user=scene["entity_user"], hide=True, reason="x")
    with pytest.raises(services.NoticeError, match="无权处理"):
        services.moderate(c, user=scene["other_district"], hide=True, reason="x")
    c.refresh_from_db()
    assert c.status == CommentStatus.VISIBLE
    services.moderate(c, user=scene["authority"], hide=True, reason="含有他人个人信息")
    c.refresh_from_db()
    assert c.hidden and c.moderation_reason == "含有他人个人信息" and c.moderated_by == scene["authority"]
    assert Comment.objects.filter(parent=c).count() == 1  # the reply stays
    assert not Report.objects.filter(handled=False).exists()
    entry = AuditLog.objects.filter(object_id=str(c.pk), action="update", content_type__model="comment").latest("pk")
    assert entry.user == scene["authority"] and entry.changes["status"] == ["visible", "hidden"]
    services.moderate(c, user=scene["authority"], hide=False)
    c.refresh_from_db()
    assert c.status == CommentStatus.VISIBLE and c.moderation_reason == ""


def test_only_the_entity_replies(scene):
    notice = publish(scene)
    c = comment(notice)
    with pytest.raises(services.NoticeError, match="只有实施主体"):
        services.reply(c, user=scene["authority"], body="答复")
    r = services.reply(c, user=scene["entity_user"], body="答复")
    with pytest.raises(services.NoticeError, match="不能答复一条答复"):
        services.reply(r, user=scene["entity_user"], body="再答复")


# --- the record -----------------------------------------------------------------------------------


def test_record_states_publication_period_and_hash(scene):
    from cityrenew.notices.record import build_record, days_shown

    notice = publish(scene)
    comment(notice)
    doc = Document(io.BytesIO(build_record(notice)))
    cells = {row.cells[0].text: row.cells[1].text for row in doc.tables[0].rows}
    assert cells["方案编号"] == "SS-2026-001"
    assert notice.end_date.isoformat() in cells["公示期"] and "15个工作日" in cells["公示期"]
    assert cells["公示内容SHA-256（发布时）"] == notice.content_sha256
    assert cells["公示内容SHA-256（记录时重算）"] == notice.content_sha256 + "（一致）"
    assert cells["收到意见"].startswith("意见1条")
    # a content altered after publication shows as 不一致
    Notice.objects.filter(pk=notice.pk).update(content={**notice.content, "summary": "改过的概要"})
    notice.refresh_from_db()
    cells = {row.cells[0].text: row.cells[1].text for row in Document(io.BytesIO(build_record(notice))).tables[0].rows}
    assert "不一致" in cells["公示内容SHA-256（记录时重算）"]
    n = Notice(start_date=dt.date(2025, 9, 26), days=15, end_date=dt.date(2025, 10, 23))
    assert days_shown(n, dt.date(2025, 10, 9)) == (13, 4)  # 09-28 (adjusted), 09-29, 09-30, 10-09; not 10-01..10-08
    assert days_shown(n, dt.date(2025, 12, 1)) == (27, 15)


# --- the public pages -----------------------------------------------------------------------------


def test_public_pages_show_no_contact_and_the_cache_follows_changes(scene, client):
    notice = publish(scene)
    c = comment(notice, body="请公开电梯加装的费用分摊办法。")
    url = f"/public/notices/{notice.pk}/"
    r = client.get(url)
    html = r.content.decode()
    assert r.status_code == 200 and "请公开电梯加装的费用分摊办法" in html and "王**" in html
    assert "13800138000" not in html and "王建国" not in html
    assert notice.end_date.isoformat() in html and "csrfmiddlewaretoken" not in html
    etag = r["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    services.moderate(c, user=scene["authority"], hide=True, reason="与本项目无关")
    r2 = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert r2.status_code == 200 and "该意见已被隐藏（与本项目无关）" in r2.content.decode()
    assert "请公开电梯加装的费用分摊办法" not in r2.content.decode()
    listing = client.get("/public/", {"district": scene["district"].pk}).content.decode()
    assert notice.title in listing and "13800138000" not in listing
    other = client.get("/public/", {"district": scene["project"].city_id}).content.decode()
    assert notice.title not in other
    content = client.get(f"/public/notices/{notice.pk}/content.json").content
    assert hashlib.sha256(content).hexdigest() == notice.content_sha256


def test_public_comment_post_errors_keep_the_input(scene, client):
    notice = publish(scene)
    r = client.post(f"/public/notices/{notice.pk}/comments/", {"name": "李四", "contact": "abc", "body": "意见内容"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "联系方式应为电话号码或电子邮箱" in html and "意见内容" in html
    r = client.post(f"/public/notices/{notice.pk}/comments/",
                    {"name": "李四", "contact": "li@example.com", "body": "意见内容", "kind": "objection"})
    assert r.status_code == 200 and "您的异议已提交" in r.content.decode()
    assert Comment.objects.get().kind == CommentKind.OBJECTION
    assert client.get("/public/notices/999999/").status_code == 404


def test_staff_pages_publish_moderate_and_download_record(scene, client):
    client.force_login(scene["authority"])
    plan = scene["plan"]
    r = client.post(f"/plans/notices/new/{plan.pk}/", {"start_date": services.today().isoformat(), "days": 10})
    assert r.status_code == 200 and "公示期10个工作日短于法定期限" in r.content.decode()
    r = client.post(f"/plans/notices/new/{plan.pk}/", {"start_date": services.today().isoformat(), "days": 15})
    notice = Notice.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/plans/notices/{notice.pk}/"
    c = comment(notice)
    page = client.get(f"/plans/notices/{notice.pk}/").content.decode()
    assert "13800138000" in page  # the authority sees the contact
    r = client.post(f"/plans/notices/{notice.pk}/comments/{c.pk}/moderate/", {"action": "hide", "reason": "重复提交"})
    c.refresh_from_db()
    assert r.status_code == 302 and c.hidden
    page = client.get(f"/plans/notices/{notice.pk}/").content.decode()
    history = page[page.index('data-testid="moderation-history"'):]
    assert "中原区编辑" in history and "重复提交" in history and "已隐藏" in history
    r = client.get(f"/plans/notices/{notice.pk}/record.docx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "SS-2026-001" in client.get("/plans/notices/").content.decode()
    client.force_login(scene["other_district"])
    assert client.get(f"/plans/notices/{notice.pk}/").status_code == 404
    r = client.post(f"/plans/notices/{notice.pk}/comments/{c.pk}/moderate/", {"action": "show"})
    c.refresh_from_db()
    assert r.status_code == 404 and c.hidden


def test_demo_publishes_one_notice_and_is_idempotent(scene, django_user_model):
    from cityrenew.notices import demo

    django_user_model.objects.create_superuser("admin", password="x-demo-pass-1")
    assert demo.load() == {"notices": 1, "comments": 3}  # the scene's approved plan
    notice = Notice.objects.get()
    assert notice.plan == scene["plan"] and notice.comments.filter(kind=CommentKind.REPLY).count() == 1
    assert demo.load() == {}  # nothing left to publish: nothing changes
    assert Notice.objects.count() == 1 and Comment.objects.count() == 4


def test_public_api_has_no_contact_and_masks_hidden_comments(scene, client):
    notice = publish(scene)
    c = comment(notice)
    services.moderate(c, user=scene["authority"], hide=True, reason="含有他人个人信息")
    comment(notice, name="周敏", contact="zhou@example.com", body="支持改造。")
    data = client.get("/api/notices/").json()
    assert data["count"] == 1 and data["results"][0]["end_date"] == notice.end_date.isoformat()
    assert data["results"][0]["workdays_left"] == 15 and data["results"][0]["status"] == "active"
    raw = client.get(f"/api/notices/{notice.pk}/").content.decode()
    detail = json.loads(raw)
    assert [x["body"] for x in detail["comments"]] == ["该意见已被隐藏（含有他人个人信息）", "支持改造。"]
    assert [x["name"] for x in detail["comments"]] == ["王**", "周**"]
    for secret in ("13800138000", "zhou@example.com", "王建国", "周敏", "client_hash", "contact"):
        assert secret not in raw
    assert client.post("/api/notices/", {}).status_code == 405


def test_inbox_items_for_authority_and_entity(scene):
    from cityrenew.core.inbox import items_for

    def titles(user, group):
        return [i.title for i in items_for(user)[group]]

    authority, entity = scene["authority"], scene["entity_user"]
    assert titles(authority, "to_fill") == ["发布公示：SS-2026-001 建设路片区城市更新实施方案"]
    assert titles(scene["other_district"], "to_fill") == []
    notice = publish(scene)
    assert titles(authority, "to_fill") == []
    a, b = comment(notice), comment(notice, ip="10.0.0.2")
    services.report(a, reason="广告", ip="10.0.0.3")
    services.report(a, reason="重复", ip="10.0.0.4")
    services.report(b, reason="无关", ip="10.0.0.5")
    todo = items_for(entity)["to_fill"]
    assert [(i.title, i.detail) for i in todo] == [(f"答复公示意见：{notice.title}", "2条意见尚未答复")]
    review = items_for(authority)["to_review"]
    assert [(i.title, i.detail) for i in review] == [(f"处理举报：{notice.title}", "3条举报待处理")]
    services.reply(a, user=entity, body="已答复")
    assert items_for(entity)["to_fill"][0].detail == "1条意见尚未答复"
    services.moderate(a, user=authority, hide=True, reason="广告")
    services.dismiss_reports(b, user=authority)
    assert items_for(authority)["to_review"] == []


def test_public_page_after_the_shared_cache_was_emptied(scene, client):
    from django.core.cache import caches

    notice = publish(scene)
    comment(notice, body="第一条意见")
    assert "第一条意见" in client.get(f"/public/notices/{notice.pk}/").content.decode()
    caches["shared"].clear()  # e.g. the cache directory removed by an operator
    Comment.objects.filter(notice=notice).update(body="改过的意见")  # a change no signal saw
    r = client.get(f"/public/notices/{notice.pk}/")
    assert r.status_code == 200 and "改过的意见" in r.content.decode()  # a new version: rendered again
    caches["shared"].clear()
    assert client.get("/public/notices/424242/").status_code == 404
    assert caches["shared"].get("notices:version:424242") is None  # no version kept for a notice that does not exist


def test_close_ended_job_launched_from_the_staff_list(scene, client):
    from cityrenew.jobs.models import Job
    from cityrenew.jobs.runner import run_pending

    notice = publish(scene)
    Notice.objects.filter(pk=notice.pk).update(start_date=services.today() - dt.timedelta(days=30),
                                               end_date=services.today() - dt.timedelta(days=1))
    client.force_login(scene["entity_user"])
    assert client.post("/plans/notices/close-ended/").status_code == 403  # not an authority
    client.force_login(scene["authority"])
    r = client.post("/plans/notices/close-ended/")
    job = Job.objects.get(kind="notices.close_ended")
    assert r.status_code == 302 and r["Location"] == job.get_absolute_url()
    assert run_pending() == 1
    job.refresh_from_db()
    assert job.status == "succeeded" and job.result_summary["text"] == "1项公示期满，已转入办理许可和备案：SS-2026-001"
    scene["plan"].refresh_from_db()
    assert scene["plan"].state == PlanState.PERMITS

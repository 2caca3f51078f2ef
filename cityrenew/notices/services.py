"""What happens to notices and comments (公示与意见): publish, comment, report, moderate, reply, close.

Every function checks who may act (``plans.workflow.actors_of``: the district's authority publishes
and moderates, the plan's implementing entity replies; the public comments and reports without an
account), checks the field rules for staff writes, and either does all of its work in one
transaction or raises :class:`NoticeError` (Chinese) having changed nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone

from cityrenew.core import audit, fieldrules
from cityrenew.core.geo import to_geojson
from cityrenew.plans import workflow
from cityrenew.plans.choices import PlanState
from cityrenew.workdays import clock
from cityrenew.workdays.calendar import CalendarError, add_workdays, workdays_between

from .choices import CommentKind, CommentStatus, NoticeStatus
from .models import Comment, Notice, Report
from .rules import MIN_NOTICE_WORKDAYS, NOTICE_PERIOD

MAX_NOTICE_WORKDAYS = 120  # a sanity bound of the form (no policy sets a maximum)
NAME_MAX, CONTACT_MAX, BODY_MAX, REASON_MAX = 60, 120, 2000, 200


class NoticeError(Exception):
    """A refused action on a notice or comment (message in Chinese); nothing was changed."""


def today() -> dt.date:
    """Today for the notice periods: ``workdays.clock.today`` (``CITYRENEW_TODAY`` pins it)."""
    return clock.today()


@contextmanager
def acting(user: Any) -> Iterator[None]:
    """Attribute the audit rows to ``user`` unless a request or command already names who acts."""
    ctx = audit.current()
    if ctx.user is not None or user is None:
        yield
        return
    with audit.actor(user, ctx.source):
        yield


# --- the period ---------------------------------------------------------------------------------


def period_refusal(start: dt.date, days: Any) -> str:
    """Why ``days`` working days from ``start`` is not a lawful notice period, or ""."""
    try:
        n = int(days)
    except (TypeError, ValueError):
        return f"公示期“{days}”不是整数个工作日"
    if n < MIN_NOTICE_WORKDAYS:
        return (f"公示期{n}个工作日短于法定期限：依据《{NOTICE_PERIOD.doc.title}》{NOTICE_PERIOD.where}，"
                f"公示时间不得少于{MIN_NOTICE_WORKDAYS}个工作日")
    if n > MAX_NOTICE_WORKDAYS:
        return f"公示期{n}个工作日过长（本系统上限{MAX_NOTICE_WORKDAYS}个工作日）"
    try:
        add_workdays(start, n)
    except CalendarError as exc:
        return f"无法计算公示截止日：{exc}"
    return ""


def workdays_left(notice: Notice, on: dt.date) -> int:
    """Working days of the period still to run on ``on``, counting ``on`` itself once the period runs.

    On the start day (not counted, 民法典第二百零一条) the whole period is ahead; after the end day, 0.
    """
    if on > notice.end_date:
        return 0
    return workdays_between(max(on - dt.timedelta(days=1), notice.start_date), notice.end_date)


# --- publication --------------------------------------------------------------------------------


def _latest_plan_file(plan: Any) -> tuple[str, bytes] | None:
    """The newest uploaded plan document, when the plans app keeps versions (``plans.PlanVersion``)."""
    try:
        model = apps.get_model("plans", "PlanVersion")
    except LookupError:
        return None
    file_fields = [f.name for f in model._meta.fields if isinstance(f, models.FileField)]
    plan_fk = [f.name for f in model._meta.fields if f.is_relation and f.related_model is type(plan)]
    if not file_fields or not plan_fk:
        return None
    order = ["-number"] if any(f.name == "number" for f in model._meta.fields) else ["-pk"]
    for version in model.objects.filter(**{plan_fk[0]: plan}).order_by(*order)[:1]:
        f = getattr(version, file_fields[0])
        if f:
            with f.open("rb") as fh:
                return f.name.rsplit("/", 1)[-1], fh.read()
    return None


def canonical(content: dict[str, Any]) -> bytes:
    """The bytes whose SHA-256 proves the published content (sorted keys, UTF-8, no spaces)."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def build_content(plan: Any, start: dt.date, days: int, end: dt.date, document: tuple[str, bytes] | None) -> dict[str, Any]:
    project = plan.project
    content: dict[str, Any] = {
        "plan_code": plan.code,
        "plan_title": plan.title,
        "category": plan.get_category_display(),
        "district": plan.district.name,
        "entity": plan.entity.name,
        "coordinator": plan.coordinator.name if plan.coordinator_id else "",
        "project_code": project.code,
        "project_name": project.name,
        "summary": plan.summary or "",
        "opinion_date": plan.opinion_date.isoformat() if plan.opinion_date else "",
        "location": to_geojson(project.location),
        "start_date": start.isoformat(),
        "days": days,
        "end_date": end.isoformat(),
        "basis": f"《{NOTICE_PERIOD.doc.title}》{NOTICE_PERIOD.where}",
        "document": None,
    }
    if document is not None:
        name, data = document
        content["document"] = {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    return content


def default_title(plan: Any) -> str:
    """“…实施方案公示” (the plan's title, with 实施方案 added unless it already ends so)."""
    return f"{plan.title}公示" if plan.title.endswith("实施方案") else f"{plan.title}实施方案公示"


def publish(plan: Any, *, user: Any, days: Any = MIN_NOTICE_WORKDAYS, start_date: dt.date | None = None,
            title: str = "") -> Notice:
    """Publish ``plan`` (通过联合审查) on the public site: create the notice, move the plan to 公示中.

    ``start_date`` is today unless given (not in the past); the end is ``add_workdays(start, days)``.
    """
    if plan.state != PlanState.APPROVED:
        raise NoticeError(f"实施方案{plan.code}当前状态为“{plan.get_state_display()}”，通过联合审查后才能公示")
    if workflow.AUTHORITY not in workflow.actors_of(plan, user):
        raise NoticeError(f"您无权发布实施方案{plan.code}的公示：只有所在区的城市更新主管部门（区级编辑）或市级管理员可以发布")
    try:
        fieldrules.check_fields(user, Notice, ["start_date", "days", "title"])
    except PermissionDenied as exc:
        raise NoticeError(str(exc)) from exc
    start = start_date or today()
    if start < today():
        raise NoticeError(f"公示起始日{start.isoformat()}早于今天，不能补登过去的公示")
    reason = period_refusal(start, days)
    if reason:
        raise NoticeError(reason)
    n = int(days)
    end = add_workdays(start, n)
    document = _latest_plan_file(plan)
    content = build_content(plan, start, n, end, document)
    with acting(user), transaction.atomic():
        notice = Notice(
            plan=plan, title=(title or default_title(plan)).strip()[:300], start_date=start, days=n, end_date=end,
            content=content, content_sha256=hashlib.sha256(canonical(content)).hexdigest(),
            published_at=timezone.now(), published_by=user,
        )
        if document is not None:
            notice.document.save(document[0], ContentFile(document[1]), save=False)
        notice.save()
        try:
            workflow.transition(plan, PlanState.NOTICE, user=user,
                                note=f"公示{n}个工作日：{start.isoformat()}起，{end.isoformat()}届满")
        except workflow.TransitionError as exc:
            transaction.set_rollback(True)
            if notice.document:
                notice.document.delete(save=False)
            raise NoticeError(str(exc)) from exc
    return notice


def notice_guard(plan: Any) -> str:
    """Guard of 公示中: the plan enters it only with a published notice of a lawful period (第十一条)."""
    n = plan.notices.filter(closed_at__isnull=True).order_by("-pk").first()
    if n is None:
        return "请通过“发布公示”填写公示期（不少于15个工作日），由系统发布公示"
    return period_refusal(n.start_date, n.days)


def permits_guard(plan: Any) -> str:
    """Guard of 办理许可和备案: the notice period must have run out (第十一条; it ends at 24:00 of its last day)."""
    n = plan.notices.order_by("-pk").first()
    if n is not None and today() <= n.end_date:
        return f"公示期至{n.end_date.isoformat()}24时届满，届满后方可转入办理许可和备案"
    return ""


workflow.register_guard(PlanState.NOTICE, notice_guard)
workflow.register_guard(PlanState.PERMITS, permits_guard)


def close_ended() -> list[Notice]:
    """Move every plan whose notice period has ended (its last day is before today) on to 办理许可和备案.

    Run by the worker's job kind ``notices.close_ended`` and ``cityrenew notices close``. Idempotent: a
    notice is closed once (``closed_at``); a plan no longer in 公示中 is left alone.
    """
    on = today()
    closed = []
    for notice in Notice.objects.select_related("plan").filter(closed_at__isnull=True, end_date__lt=on):
        with transaction.atomic():
            if notice.plan.state == PlanState.NOTICE:
                workflow.transition(notice.plan, PlanState.PERMITS, system=True,
                                    note=f"公示期{notice.days}个工作日已于{notice.end_date.isoformat()}届满")
            notice.closed_at = timezone.now()
            notice.save()
        closed.append(notice)
    return closed


# --- the public's comments and reports ----------------------------------------------------------


def client_hash(ip: str) -> str:
    """A keyed hash of the client address: enough to rate-limit, not to find the person."""
    return hmac.new(settings.SECRET_KEY.encode(), (ip or "").encode(), hashlib.sha256).hexdigest()


def _rate_limited(model: type[models.Model], who: str, per_hour: int) -> bool:
    since = timezone.now() - dt.timedelta(hours=1)
    return bool(who) and model.objects.filter(client_hash=who, created_at__gte=since).count() >= per_hour


def _clean(text: Any, label: str, max_len: int, *, required: bool = True) -> str:
    value = " ".join(str(text or "").split()) if label != "内容" else str(text or "").strip()
    if required and not value:
        raise NoticeError(f"请填写{label}")
    if len(value) > max_len:
        raise NoticeError(f"{label}过长：最多{max_len}字，现有{len(value)}字")
    return value


def add_comment(notice: Notice, *, name: Any, contact: Any, body: Any, kind: Any = CommentKind.OPINION,
                ip: str = "", honeypot: Any = "") -> Comment:
    """A comment or objection from the public while the notice runs (name and contact required)."""
    if honeypot:
        raise NoticeError("提交未被接受，请刷新页面后重试")  # a filled hidden field: a robot
    status = notice.status_on(today())
    if status != NoticeStatus.ACTIVE:
        raise NoticeError(f"公示期为{notice.start_date.isoformat()}至{notice.end_date.isoformat()}，当前不在公示期内，不能提交意见")
    if kind not in (CommentKind.OPINION, CommentKind.OBJECTION):
        raise NoticeError("意见类型只能是“意见”或“异议”")
    name = _clean(name, "署名", NAME_MAX)
    contact = _clean(contact, "联系方式（电话或电子邮箱）", CONTACT_MAX)
    if not _looks_like_contact(contact):
        raise NoticeError("联系方式应为电话号码或电子邮箱，仅主管部门可见，用于核实和答复")
    body = _clean(body, "内容", BODY_MAX)
    who = client_hash(ip)
    if _rate_limited(Comment, who, settings.CITYRENEW_NOTICE_COMMENTS_PER_HOUR):
        raise NoticeError(f"提交过于频繁：同一来源每小时最多提交{settings.CITYRENEW_NOTICE_COMMENTS_PER_HOUR}条意见，请稍后再试")
    return Comment.objects.create(notice=notice, kind=kind, name=name, contact=contact, body=body, client_hash=who)


def _looks_like_contact(text: str) -> bool:
    digits = sum(c.isdigit() for c in text)
    return ("@" in text and "." in text.split("@")[-1]) or digits >= 7


def report(comment: Comment, *, reason: Any, ip: str = "", honeypot: Any = "") -> Report:
    """A member of the public asks the authority to review ``comment`` (举报)."""
    if honeypot:
        raise NoticeError("提交未被接受，请刷新页面后重试")
    reason = _clean(reason, "举报理由", REASON_MAX)
    who = client_hash(ip)
    if _rate_limited(Report, who, settings.CITYRENEW_NOTICE_REPORTS_PER_HOUR):
        raise NoticeError(f"举报过于频繁：同一来源每小时最多举报{settings.CITYRENEW_NOTICE_REPORTS_PER_HOUR}次，请稍后再试")
    return Report.objects.create(comment=comment, reason=reason, client_hash=who)


# --- staff: moderation and replies --------------------------------------------------------------


def can_moderate(user: Any, notice: Notice) -> bool:
    return workflow.AUTHORITY in workflow.actors_of(notice.plan, user)


def can_moderate_any(user: Any) -> bool:
    """Whether ``user`` is an authority anywhere (区级编辑 or 市级管理员): may run the close-ended job."""
    return fieldrules.is_city_level(user) or bool(fieldrules.roles_held(user) & {"district_editor"})


def can_reply(user: Any, notice: Notice) -> bool:
    return workflow.ENTITY in workflow.actors_of(notice.plan, user)


def moderate(comment: Comment, *, user: Any, hide: bool, reason: Any = "") -> Comment:
    """Hide ``comment`` with a reason, or show it again; its replies stay. Audited (who, when, why)."""
    if not can_moderate(user, comment.notice):
        raise NoticeError("您无权处理该意见：只有所在区的城市更新主管部门（区级编辑）或市级管理员可以处理")
    reason = _clean(reason, "隐藏理由", REASON_MAX, required=hide)
    data = {"status": CommentStatus.HIDDEN if hide else CommentStatus.VISIBLE, "moderation_reason": reason if hide else ""}
    try:
        fieldrules.check_fields(user, comment, data)
    except PermissionDenied as exc:
        raise NoticeError(str(exc)) from exc
    if comment.status == data["status"] and comment.moderation_reason == data["moderation_reason"]:
        raise NoticeError("该意见已是此状态，无需重复处理")
    with acting(user), transaction.atomic():
        comment.status, comment.moderation_reason = data["status"], data["moderation_reason"]
        comment.moderated_by, comment.moderated_at = user, timezone.now()
        comment.save()
        for r in comment.reports.filter(handled=False):
            r.handled = True
            r.save()
    return comment


def dismiss_reports(comment: Comment, *, user: Any) -> int:
    """Mark the reports of ``comment`` handled without hiding it (the comment stays public). Audited."""
    if not can_moderate(user, comment.notice):
        raise NoticeError("您无权处理该举报")
    n = 0
    with acting(user), transaction.atomic():
        for r in comment.reports.filter(handled=False):
            r.handled = True
            r.save()
            n += 1
    return n


def reply(comment: Comment, *, user: Any, body: Any) -> Comment:
    """The implementing entity's public reply to a comment (实施主体答复), signed with the entity's name."""
    notice = comment.notice
    if not can_reply(user, notice):
        raise NoticeError(f"只有实施主体（{notice.plan.entity.name}）的填报员可以答复公示意见")
    if comment.kind == CommentKind.REPLY:
        raise NoticeError("不能答复一条答复，请答复原意见")
    try:
        fieldrules.check_fields(user, Comment, ["body", "parent"])
    except PermissionDenied as exc:
        raise NoticeError(str(exc)) from exc
    body = _clean(body, "内容", BODY_MAX)
    with acting(user):
        return Comment.objects.create(notice=notice, parent=comment, kind=CommentKind.REPLY, name=notice.plan.entity.name,
                                  body=body, author=user)

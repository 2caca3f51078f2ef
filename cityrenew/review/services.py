"""The joint review of an implementation plan (实施方案联合审查): rounds, records, opinions, the guard, the
combined opinion document.

* A plan entering 联合审查中 (``plans.PlanTransition`` saved with ``to_state=joint_review``) opens a round
  with one :class:`~.models.ReviewRecord` per item of the matrix that applies to every plan; the
  district's 城市更新主管部门 adds the items the article makes conditional (“涉及……的”) when the plan
  involves them (:func:`add_items`).
* Each record is answered by the organisation the district mapped to its matrix department
  (:class:`~.models.ReviewDepartment`), by a 部门审核员 or 部门填报员 of that organisation
  (:func:`give_opinion`): 同意, 有条件同意 (conditions required) or 不同意 (reasons required), with
  attachments. An opinion from anyone else is refused in Chinese and changes nothing.
* Moving the plan to 通过联合审查 needs every record answered and none 不同意 (:func:`approval_guard`,
  registered with ``plans.workflow``); on approval the round closes, the combined opinion
  (联合审查意见, docx) is written and the plan's ``opinion_date`` set (第十条). Returning the plan for
  revision closes the round as 已退回修改; the next 联合审查 opens a new round.
* Due dates: the 办法 sets no time limit for the departments (:data:`NO_TIME_LIMIT`); a city may set
  one in working days (``ReviewSettings.due_workdays``), counted by ``workdays.add_workdays``.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from cityrenew.catalogue.policies import cite
from cityrenew.core import fieldrules
from cityrenew.core.choices import Role
from cityrenew.core.models import Organisation, Region
from cityrenew.core.permissions import region_ids_for, roles_of
from cityrenew.core.uploads import validate_attachment
from cityrenew.plans.choices import PlanState
from cityrenew.plans.workflow import AUTHORITY, actors_of
from cityrenew.workdays import clock

from .choices import Opinion, RoundStatus
from .matrix import Item, Matrix, MatrixError, packaged_matrix, parse_matrix
from .models import (
    OpinionAttachment,
    ReviewDepartment,
    ReviewRecord,
    ReviewRound,
    ReviewSettings,
)

DOC = "BJ-2024-JOINT-REVIEW"
OPINION_ISSUED = cite(DOC, "第十条", "审查通过的，由区城市更新主管部门会同有关行业主管部门出具意见",
                      rule="联合审查：全部事项出具意见且无不同意意见方可通过，出具联合审查意见")
REVIEW_CONTENT = cite(DOC, "第十二条", "区政府组织各相关单位根据职责分工，按照有关法律法规，对城市更新实施方案以下内容进行重点审查",
                      rule="联合审查：按职责分工逐项审查（审查矩阵）")
# The 办法 fixes no period for the departments' opinions (第十条、第十二条 say who reviews, not by when).
NO_TIME_LIMIT = cite(DOC, "第十条", "联合审查（办法未规定部门出具意见的时限）")
REVIEWER_ROLES = frozenset({Role.DEPT_REVIEWER, Role.DEPT_EDITOR})
READER_ROLES = frozenset({Role.CITY_ADMIN, Role.DISTRICT_EDITOR, Role.VIEWER})


class ReviewError(Exception):
    """A refused review action (message in Chinese); nothing was changed."""


class ReviewDenied(ReviewError):
    """Refused because of who asks (not a department of the matrix, not the item's department, not the authority)."""


# --- the matrix that applies ----------------------------------------------------------------------

def city_of(region: Region) -> Region | None:
    return region.city() if region.level != "city" else region


def settings_for(city: Region | None) -> ReviewSettings | None:
    return ReviewSettings.objects.filter(city=city).first() if city is not None else None


@lru_cache(maxsize=16)
def _parsed(text: str) -> Matrix:
    return parse_matrix(text, source="city")


def matrix_for(district: Region) -> Matrix:
    """The matrix of ``district``'s city: its configured one, else the packaged one."""
    conf = settings_for(city_of(district))
    if conf is not None and conf.matrix_toml.strip():
        try:
            return _parsed(conf.matrix_toml)
        except MatrixError:  # validated when saved; a packaged-format change must not break reviews
            return packaged_matrix()
    return packaged_matrix()


def due_date_for(district: Region, start: Any = None) -> Any:
    """The last day for an opinion (city setting, in working days), or None where none is set."""
    from cityrenew.workdays.calendar import CalendarError, add_workdays

    conf = settings_for(city_of(district))
    if conf is None or not conf.due_workdays:
        return None
    try:
        return add_workdays(start or clock.today(), conf.due_workdays)
    except CalendarError:
        return None  # a year the calendar does not know: no due date rather than a guessed one


# --- who is who -----------------------------------------------------------------------------------

def reviewer_organisations(user: Any) -> set[int]:
    """Organisations for which ``user`` may give opinions (部门审核员 / 部门填报员 roles)."""
    return {ra.organisation_id for ra in roles_of(user) if ra.role in REVIEWER_ROLES and ra.organisation_id}


def entity_organisations(user: Any) -> set[int]:
    """Implementing entities (实施主体) ``user`` fills in for: they read the review of their own plans."""
    return {ra.organisation_id for ra in roles_of(user) if ra.role == Role.ENTITY_EDITOR and ra.organisation_id}


def is_authority(user: Any, plan: Any) -> bool:
    return AUTHORITY in actors_of(plan, user)


def visible_records(user: Any) -> QuerySet:
    """Records ``user`` may read: a department user its organisations' records, an entity those of its own
    plans (it must know what to revise), the district and city users by region."""
    qs = ReviewRecord.objects.select_related("round__plan__district", "organisation")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    regions = region_ids_for(user, READER_ROLES)
    if regions is None:
        return qs
    entities = entity_organisations(user)
    q = (Q(organisation_id__in=reviewer_organisations(user)) | Q(round__plan__district_id__in=regions)
         | Q(round__plan__entity_id__in=entities) | Q(round__plan__coordinator_id__in=entities))
    return qs.filter(q)


def visible_rounds(user: Any) -> QuerySet:
    qs = ReviewRound.objects.select_related("plan__district")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    regions = region_ids_for(user, READER_ROLES)
    if regions is None:
        return qs
    mine = ReviewRecord.objects.filter(organisation_id__in=reviewer_organisations(user)).values("round_id")
    entities = entity_organisations(user)
    return qs.filter(Q(plan__district_id__in=regions) | Q(pk__in=mine) | Q(plan__entity_id__in=entities)
                     | Q(plan__coordinator_id__in=entities))


def can_read_file(user: Any, name: str) -> bool | None:
    """A file under ``review/``: an attachment or an opinion document, readable with its record/round."""
    att = OpinionAttachment.objects.filter(file=name).first()
    if att is not None:
        return visible_records(user).filter(pk=att.record_id).exists()
    rnd = ReviewRound.objects.filter(opinion_file=name).first()
    if rnd is not None:
        return visible_rounds(user).filter(pk=rnd.pk).exists()
    return None


# --- rounds ---------------------------------------------------------------------------------------

def _record_for(rnd: ReviewRound, item: Item, district: Region, due: Any) -> ReviewRecord:
    mapping = ReviewDepartment.objects.filter(district=district, key=item.department.key).first()
    return ReviewRecord.objects.create(
        round=rnd, item_key=item.key, item_title=item.title, points="\n".join(item.points),
        department_key=item.department.key, department_name=item.department.name,
        organisation=mapping.organisation if mapping else None, document=item.citation.document,
        article=item.citation.article, clause=item.clause, quote=item.quote, condition=item.condition, due_date=due,
    )


def start_round(plan: Any) -> ReviewRound:
    """Open the next round of ``plan`` with a record per unconditional matrix item."""
    matrix = matrix_for(plan.district)
    last = plan.review_rounds.order_by("-number").first()
    rnd = ReviewRound.objects.create(plan=plan, number=(last.number + 1) if last else 1,
                                     matrix_version=matrix.version, matrix_source=matrix.source)
    due = due_date_for(plan.district)
    for item in matrix.always:
        _record_for(rnd, item, plan.district, due)
    return rnd


def open_round(plan: Any) -> ReviewRound | None:
    return plan.review_rounds.filter(status=RoundStatus.OPEN).order_by("-number").first()


def addable_items(rnd: ReviewRound) -> list[Item]:
    """Conditional items of the matrix not yet in ``rnd``."""
    have = set(rnd.records.values_list("item_key", flat=True))
    return [i for i in matrix_for(rnd.plan.district).conditional if i.key not in have]


def add_items(rnd: ReviewRound, keys: Iterable[str], user: Any) -> list[ReviewRecord]:
    """The authority adds conditional items (“涉及……的”) the plan involves; Chinese refusal otherwise."""
    if rnd.status != RoundStatus.OPEN:
        raise ReviewError(f"{rnd}已结束（{rnd.get_status_display()}），不能增加审查事项")
    if not is_authority(user, rnd.plan):
        raise ReviewDenied(f"只有{rnd.plan.district.display_name}的城市更新主管部门可以增加审查事项")
    available = {i.key: i for i in addable_items(rnd)}
    keys = list(dict.fromkeys(k for k in keys if k))
    unknown = [k for k in keys if k not in available]
    if unknown:
        raise ReviewError(f"审查事项“{'、'.join(unknown)}”不在本市审查矩阵的可增加事项中（或已在本轮审查中）")
    if not keys:
        raise ReviewError("请选择要增加的审查事项")
    due = due_date_for(rnd.plan.district)
    with transaction.atomic():
        return [_record_for(rnd, available[k], rnd.plan.district, due) for k in keys]


def remove_item(record: ReviewRecord, user: Any) -> None:
    """The authority takes back a conditional item added by mistake, while no opinion is given; audited."""
    rnd = record.round
    if not is_authority(user, rnd.plan):
        raise ReviewDenied(f"只有{rnd.plan.district.display_name}的城市更新主管部门可以移除审查事项")
    if rnd.status != RoundStatus.OPEN:
        raise ReviewError(f"{rnd}已结束（{rnd.get_status_display()}），不能移除审查事项")
    if not record.condition:
        raise ReviewError(f"“{record.item_title}”是每个实施方案都须审查的事项（第十二条{record.clause}），不能移除")
    if record.opinion:
        raise ReviewError(f"{record.department_name}已对“{record.item_title}”出具意见，不能移除")
    with transaction.atomic():
        record.delete()


def assign_open_records(mapping: ReviewDepartment) -> int:
    """After a district maps a matrix department, its unanswered records in open rounds go to that organisation."""
    n = 0
    for rec in ReviewRecord.objects.filter(round__status=RoundStatus.OPEN, round__plan__district=mapping.district,
                                           department_key=mapping.key, opinion=""):
        if rec.organisation_id != mapping.organisation_id:
            rec.organisation = mapping.organisation
            rec.save()
            n += 1
    return n


# --- opinions -------------------------------------------------------------------------------------

def _check_reviewer(record: ReviewRecord, user: Any) -> None:
    mine = reviewer_organisations(user)
    rnd = record.round
    in_round = set(rnd.records.exclude(organisation=None).values_list("organisation_id", flat=True))
    if not mine:
        raise ReviewDenied("只有联审部门的部门审核员或部门填报员可以出具审查意见")
    if not (mine & in_round):
        names = "、".join(Organisation.objects.filter(pk__in=mine).values_list("name", flat=True))
        raise ReviewDenied(f"您所在的部门（{names}）不在{rnd}的审查矩阵中，不能出具审查意见"
                          f"（依据《{REVIEW_CONTENT.doc.title}》第十二条按职责分工审查）")
    if record.organisation_id not in mine:
        who = record.organisation.name if record.organisation_id else f"{record.department_name}（本区尚未指定承担组织）"
        raise ReviewDenied(f"审查事项“{record.item_title}”由{who}审查，您所在的部门不能对其出具意见")


def give_opinion(record: ReviewRecord, user: Any, opinion: str, *, conditions: str = "", reasons: str = "",
                 files: Iterable[Any] = (), description: str = "") -> ReviewRecord:
    """Record a department's opinion on one item (may be changed while the round is open); audited."""
    conditions, reasons = (conditions or "").strip(), (reasons or "").strip()
    rnd = record.round
    if opinion not in Opinion.values:
        raise ReviewError(f"审查意见“{opinion}”无效，应为：{'、'.join(Opinion.labels)}")
    _check_reviewer(record, user)
    if rnd.status != RoundStatus.OPEN or rnd.plan.state != PlanState.JOINT_REVIEW:
        raise ReviewError(f"{rnd}已结束（{rnd.get_status_display()}），不能再出具或修改意见")
    if opinion == Opinion.CONDITIONAL and not conditions:
        raise ReviewError("“有条件同意”须写明同意的条件")
    if opinion == Opinion.DISAGREE and not reasons:
        raise ReviewError("“不同意”须写明理由")
    files = [f for f in files if f]
    for f in files:
        try:
            validate_attachment(f)
        except ValidationError as exc:
            raise ReviewError(f"附件“{f.name}”：{'；'.join(exc.messages)}") from exc
    data = {"opinion": opinion, "conditions": conditions if opinion == Opinion.CONDITIONAL else "",
            "reasons": reasons if opinion == Opinion.DISAGREE else ""}
    try:
        fieldrules.check_fields(user, record, data)
        if files:
            fieldrules.check_fields(user, OpinionAttachment, ["record", "file", "description"])
    except PermissionDenied as exc:
        raise ReviewDenied(str(exc)) from exc
    with transaction.atomic():
        for name, value in data.items():
            setattr(record, name, value)
        record.answered_by, record.answered_at = user, timezone.now()
        record.save()
        for f in files:
            OpinionAttachment.objects.create(record=record, file=f, description=description[:300], uploaded_by=user)
    return record


def opinion_on_item(rnd: ReviewRound, item_key: str, user: Any, opinion: str, **kwargs: Any) -> ReviewRecord:
    """An opinion named by the matrix item (the API's way): an item not in the round is refused."""
    record = rnd.records.filter(item_key=item_key).first()
    if record is None:
        raise ReviewError(f"审查事项“{item_key}”不在{rnd}的审查矩阵中")
    return give_opinion(record, user, opinion, **kwargs)


# --- the workflow's guard and the round's end -----------------------------------------------------

def approval_guard(plan: Any) -> str:
    """通过联合审查 needs an open round, every record answered and none 不同意 (第十条)."""
    rnd = open_round(plan)
    if rnd is None:
        return "尚未开展联合审查"
    records = list(rnd.records.all())
    if not records:
        return "本轮联合审查没有审查事项"
    missing = [r for r in records if not r.opinion]
    if missing:
        names = "、".join(dict.fromkeys(r.department_name for r in missing))
        return f"尚有{len(missing)}项审查意见未出具（{names}）"
    against = [r for r in records if r.opinion == Opinion.DISAGREE]
    if against:
        names = "、".join(dict.fromkeys(r.department_name for r in against))
        return f"{names}出具了不同意意见，应退回修改或作出未通过决定"
    return ""


def _close(rnd: ReviewRound, status: str) -> None:
    rnd.status, rnd.closed_at = status, timezone.now()
    rnd.save()


def on_plan_transition(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """``post_save`` of ``plans.PlanTransition``: open, close or conclude the plan's review round."""
    if not created or raw:
        return
    plan = instance.plan
    if instance.to_state == PlanState.JOINT_REVIEW:
        start_round(plan)
        return
    if instance.from_state != PlanState.JOINT_REVIEW:
        return
    rnd = open_round(plan)
    if rnd is None:
        return
    if instance.to_state == PlanState.APPROVED:
        _close(rnd, RoundStatus.APPROVED)
        plan.opinion_date = clock.today()
        plan.save()
        write_opinion_document(rnd)
    elif instance.to_state == PlanState.REVISION:
        _close(rnd, RoundStatus.RETURNED)
    elif instance.to_state == PlanState.NOT_APPROVED:
        _close(rnd, RoundStatus.NOT_APPROVED)
    else:
        _close(rnd, RoundStatus.WITHDRAWN)


# --- the combined opinion (联合审查意见) ------------------------------------------------------------

def opinion_docx(rnd: ReviewRound) -> bytes:
    """The combined opinion of a round as a Word document: the plan, each department's opinion with its
    conditions or reasons, and the articles they rest on."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    plan = rnd.plan
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "SimSun", Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    head = doc.add_heading(f"{plan.title}联合审查意见", level=1)
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    issued = plan.opinion_date or clock.today()
    doc.add_paragraph(f"方案编号：{plan.code}")
    doc.add_paragraph(f"所在区：{plan.district.display_name}    实施主体：{plan.entity}")
    doc.add_paragraph(f"审查轮次：第{rnd.number}轮（审查矩阵 {rnd.matrix_version}）    意见日期：{issued:%Y年%-m月%-d日}")
    records = list(rnd.records.select_related("organisation").order_by("id"))
    agreed = sum(r.opinion == Opinion.AGREE for r in records)
    conditional = sum(r.opinion == Opinion.CONDITIONAL for r in records)
    doc.add_paragraph(
        f"依据《{OPINION_ISSUED.doc.title}》第十条、第十二条，{plan.district.display_name}政府组织区城市更新主管部门会同有关行业主管部门"
        f"对该实施方案进行了联合审查，共{len(records)}项审查事项：同意{agreed}项，有条件同意{conditional}项。审查通过，意见如下。")
    table = doc.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ["审查部门", "审查事项", "依据", "意见", "条件／理由"]):
        cell.text = text
    for r in records:
        row = table.add_row().cells
        row[0].text = r.organisation.name if r.organisation_id else r.department_name
        row[1].text = f"{r.item_title}：{'、'.join(r.point_list)}"
        row[2].text = f"第十二条{r.clause}" if r.article == "第十二条" else r.where
        row[3].text = r.get_opinion_display()
        row[4].text = r.conditions or r.reasons or "—"
    conds = [r for r in records if r.opinion == Opinion.CONDITIONAL]
    if conds:
        doc.add_heading("须落实的条件", level=2)
        for n, r in enumerate(conds, start=1):
            doc.add_paragraph(f"{n}. {r.department_name}（{r.item_title}）：{r.conditions}")
    doc.add_heading("后续事项", level=2)
    doc.add_paragraph("实施方案应在城市更新信息系统进行公示，公示时间不得少于15个工作日（第十一条）；"
                      "统筹主体、实施主体原则上应在获得本意见之日起2年内完成项目首期用地手续办理工作，5年内完成项目用地手续办理工作（第十八条）。")
    doc.add_heading("依据", level=2)
    seen = []
    for r in records:
        line = f"《{r.citation.doc.title}》{r.where}：{r.quote}"
        if line not in seen:
            seen.append(line)
            doc.add_paragraph(line)
    doc.add_paragraph(f"《{OPINION_ISSUED.doc.title}》第十条：{OPINION_ISSUED.note}")
    doc.core_properties.title = f"{plan.code}联合审查意见"
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def write_opinion_document(rnd: ReviewRound) -> ReviewRound:
    content = opinion_docx(rnd)
    if rnd.opinion_file:
        rnd.opinion_file.delete(save=False)
    rnd.opinion_file.save(f"{rnd.plan.code}-round{rnd.number}.docx", ContentFile(content), save=False)
    rnd.opinion_sha256 = hashlib.sha256(content).hexdigest()
    rnd.save()
    return rnd

"""What happens to an implementation plan besides its state: versions, the materials checklist of
第六条, revision requests (第八条), expert reviews (第九条), permits (第十三条), land deadlines (第十八条),
and the guards this app registers on :mod:`cityrenew.plans.workflow`.

Every function here writes through audited models in one transaction and raises :class:`PlanError`
(Chinese) before writing anything when the request is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cityrenew.catalogue.policies import Citation, cite
from cityrenew.workdays import clock
from cityrenew.workdays.calendar import CalendarError, add_years, next_workday

from . import workflow
from .choices import MaterialKind
from .choices import PlanState as S
from .models import (
    ExpertReview,
    ImplementationPlan,
    PermitRecord,
    PlanMaterial,
    PlanVersion,
    RevisionItem,
    RevisionRequest,
)

DOC = workflow.DOC

MATERIAL_CITATIONS: dict[str, Citation] = {
    MaterialKind.APPLICATION: cite(DOC, "第六条", "（一）实施方案联合审查申请书", rule="申报材料：实施方案联合审查申请书"),
    MaterialKind.LICENCE: cite(DOC, "第六条", "（二）统筹主体、实施主体合法有效证照", rule="申报材料：合法有效证照"),
    MaterialKind.PLAN: cite(DOC, "第六条", "（三）城市更新实施方案", rule="申报材料：城市更新实施方案"),
    MaterialKind.OTHER_RIGHTS: cite(DOC, "第六条", "（四）涉及抵押登记他项权益的，还应提交他项权益人书面同意意见",
                                    rule="申报材料：他项权益人书面同意意见（涉及抵押登记他项权益的）"),
}
REVISION_SOURCE = cite(DOC, "第八条", "需修改、补充、完善方案相关内容和材料的，由区城市更新主管部门告知申报主体",
                       rule="审查前准备：告知修改、补充、完善（可多轮）")
EXPERT_SOURCE = cite(DOC, "第九条", "城市更新项目需开展专家评审或评估的，应当根据有关规定组织开展相关工作",
                     rule="需专家评审的方案先评审后联审")
PERMIT_SOURCE = cite(DOC, "第十三条", "按照相关要求申请办理投资、土地、规划、建设等行政许可或者备案",
                     rule="公示后办理投资、土地、规划、建设许可或备案")
# 第十八条: within 2 years of the joint-review opinion the first phase of land procedures, within 5 all of them.
LAND_FIRST_YEARS, LAND_ALL_YEARS = 2, 5
LAND_SOURCE = cite(DOC, "第十八条", "原则上应在获得方案联合审查意见之日起2年内完成项目首期用地手续办理工作，5年内完成项目用地手续办理工作",
                   rule="用地手续期限：首期2年内、全部5年内（自联合审查意见之日起）")
# Remind the entity this many days before a land deadline (a platform setting, not a policy figure).
LAND_REMINDER_DAYS = 90


class PlanError(ValueError):
    """A refused plan operation (message in Chinese); nothing was written."""


# --- materials checklist (第六条) ---------------------------------------------------------------------

@dataclass
class ChecklistRow:  # 申报材料清单的一行
    kind: str
    label: str
    required: bool
    files: list[Any]
    citation: Citation
    note: str = ""

    @property
    def satisfied(self) -> bool:
        return bool(self.files)


def materials_checklist(plan: ImplementationPlan) -> list[ChecklistRow]:
    """The materials of 第六条 for ``plan``: the 实施方案 is its latest version; the 他项权益人同意 is
    required only when the plan declares registered mortgages or other rights (``other_rights``)."""
    by_kind: dict[str, list[PlanMaterial]] = {}
    for m in plan.materials.all():
        by_kind.setdefault(m.kind, []).append(m)
    latest = plan.latest_version
    rows = []
    for kind, label in MaterialKind.choices:
        required = kind != MaterialKind.OTHER_RIGHTS or plan.other_rights
        files: list[Any] = [latest] if kind == MaterialKind.PLAN and latest else by_kind.get(kind, [])
        note = ""
        if kind == MaterialKind.PLAN:
            note = "以方案的最新版本为准"
        elif kind == MaterialKind.OTHER_RIGHTS and not plan.other_rights:
            note = "本方案未申报涉及抵押登记他项权益，无需提交"
        rows.append(ChecklistRow(kind, label, required, files, MATERIAL_CITATIONS[kind], note))
    return rows


def missing_materials(plan: ImplementationPlan) -> list[str]:
    return [r.label for r in materials_checklist(plan) if r.required and not r.satisfied]


# --- versions and materials --------------------------------------------------------------------------

def add_version(plan: ImplementationPlan, document: Any, *, user: Any, change_note: str = "") -> PlanVersion:
    """Upload a new version of the plan text (the entity, while drafting or revising)."""
    if plan.state not in EDITABLE_BY_ENTITY:
        raise PlanError(f"实施方案{plan.code}当前状态为“{plan.get_state_display()}”，只有编制中、意见征询中或退回修改时可以上传新版本"
                        "（物业权利人同意后方案文本不再改动，退回修改时再上传）")
    with transaction.atomic():
        locked = ImplementationPlan.objects.select_for_update().get(pk=plan.pk)
        number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        if number > 1 and plan.state == S.REVISION and not change_note.strip():
            raise PlanError("退回修改后上传的新版本须填写修改说明（对照修改补充事项说明改了什么）")
        version = PlanVersion(plan=locked, number=number, document=document, change_note=change_note, uploaded_by=user)
        version.full_clean(exclude=["plan"])
        version.save()
    return version


def add_material(plan: ImplementationPlan, kind: str, file: Any, *, user: Any, description: str = "") -> PlanMaterial:
    if plan.state not in MATERIAL_STATES:
        raise PlanError(f"实施方案{plan.code}当前状态为“{plan.get_state_display()}”，报送后、退回修改前不能再上传申报材料")
    if kind == MaterialKind.PLAN:
        raise PlanError("城市更新实施方案请以“上传新版本”提交，不作为其他材料上传")
    if kind not in MaterialKind.values:
        raise PlanError(f"未知的材料类别“{kind}”")
    material = PlanMaterial(plan=plan, kind=kind, file=file, description=description, uploaded_by=user)
    material.full_clean(exclude=["plan"])
    material.save()
    return material


# States in which the entity writes its own plan's text and versions (after consent the text the owners
# agreed to stays as it is until a return for revision), and in which it adds the other materials.
EDITABLE_BY_ENTITY = frozenset({S.DRAFTING, S.CONSULTATION, S.REVISION})
MATERIAL_STATES = EDITABLE_BY_ENTITY | {S.CONSENTED}


# --- revision requests (第八条) -----------------------------------------------------------------------

def request_revision(plan: ImplementationPlan, items: list[str], *, user: Any, note: str = "") -> RevisionRequest:
    """The authority returns the plan for revision (PRE_REVIEW or JOINT_REVIEW → REVISION) with numbered items."""
    items = [t.strip() for t in items if t and t.strip()]
    if not items:
        raise PlanError("请至少列出一项需修改、补充、完善的内容（每行一项）")
    with transaction.atomic():
        number = (plan.revision_requests.aggregate(n=Max("number"))["n"] or 0) + 1
        request = RevisionRequest.objects.create(plan=plan, number=number, note=note, created_by=user)
        for i, text in enumerate(items, start=1):
            RevisionItem.objects.create(request=request, number=i, text=text)
        workflow.transition(plan, S.REVISION, user=user, note=f"第{number}轮修改补充告知，共{len(items)}项" + (f"：{note}" if note else ""))
    return request


def open_request(plan: ImplementationPlan) -> RevisionRequest | None:
    """The latest revision request when the plan is in REVISION, else None."""
    if plan.state != S.REVISION:
        return None
    return plan.revision_requests.order_by("-number").first()


def respond(item: RevisionItem, text: str, *, user: Any) -> RevisionItem:
    plan = item.request.plan
    if plan.state != S.REVISION or open_request(plan) != item.request:
        raise PlanError(f"修改补充事项“{item}”不在当前一轮退回修改中，不能再答复")
    if not text.strip():
        raise PlanError(f"请填写对第{item.number}项的答复")
    item.response = text.strip()
    item.responded_by = user
    item.responded_at = timezone.now()
    item.save()
    return item


def record_expert_review(plan: ImplementationPlan, *, user: Any, **fields: Any) -> ExpertReview:
    if plan.state != S.EXPERT_REVIEW:
        raise PlanError(f"实施方案{plan.code}当前状态为“{plan.get_state_display()}”，只有在专家评审阶段才能登记评审结论")
    review = ExpertReview(plan=plan, recorded_by=user, **fields)
    review.full_clean(exclude=["plan"])
    review.save()
    return review


def record_permit(plan: ImplementationPlan, *, user: Any, **fields: Any) -> PermitRecord:
    if plan.state not in (S.PERMITS, S.LAND, S.IMPLEMENTATION):
        raise PlanError(f"实施方案{plan.code}当前状态为“{plan.get_state_display()}”，公示期满后才能登记许可或备案（第十三条）")
    permit = PermitRecord(plan=plan, recorded_by=user, **fields)
    permit.full_clean(exclude=["plan"])
    permit.save()
    return permit


# --- land deadlines (第十八条) ------------------------------------------------------------------------

@dataclass
class LandDeadline:  # 用地手续期限
    label: str
    due: dt.date
    done: dt.date | None
    note: str = ""  # e.g. 顺延 by 第二百零三条, or the calendar of that year is not known yet

    @property
    def days_left(self) -> int:
        return (self.due - clock.today()).days

    @property
    def overdue(self) -> bool:
        return self.done is None and self.due < clock.today() or (self.done is not None and self.done > self.due)


def _deadline(opinion: dt.date, years: int) -> tuple[dt.date, str]:
    """民法典第二百零一条、第二百零二条: the corresponding day ``years`` years on; 第二百零三条: a rest day moves it on."""
    end = add_years(opinion, years)
    try:
        moved = next_workday(end)
    except CalendarError:
        return end, f"{end.year}年节假日安排未知，暂未按第二百零三条顺延"
    return moved, (f"{end.isoformat()}为休息日，顺延至{moved.isoformat()}（民法典第二百零三条）" if moved != end else "")


def land_deadlines(plan: ImplementationPlan) -> list[LandDeadline]:
    """The two deadlines of 第十八条 counted from ``opinion_date`` (empty before the opinion)."""
    if plan.opinion_date is None:
        return []
    out = []
    for label, years, done in (("首期用地手续", LAND_FIRST_YEARS, plan.land_first_done), ("全部用地手续", LAND_ALL_YEARS, plan.land_all_done)):
        due, note = _deadline(plan.opinion_date, years)
        out.append(LandDeadline(label, due, done, note))
    return out


# --- guards registered on the workflow -------------------------------------------------------------------

def guard_materials(plan: ImplementationPlan) -> str:
    """SUBMITTED (报送) needs every required material of 第六条 (and after a return, a new version)."""
    missing = missing_materials(plan)
    if missing:
        return "申报材料不全，缺少：" + "、".join(missing) + "（第六条）"
    if plan.state == S.REVISION:
        request = open_request(plan)
        if request is not None:
            open_items = [str(i.number) for i in request.items.all() if not i.response.strip()]
            if open_items:
                return f"第{request.number}轮修改补充告知的第{'、'.join(open_items)}项尚未答复（第八条）"
        returned = plan.transitions.filter(to_state=S.REVISION).order_by("-at", "-id").first()
        if returned is not None and not plan.versions.filter(uploaded_at__gte=returned.at).exists():
            return "退回修改后须上传修改后的方案新版本再重新报送（第八条）"
    return ""


def guard_expert_review(plan: ImplementationPlan) -> str:
    """JOINT_REVIEW (联合审查) of a plan that needs an expert review: a review concluded 通过/修改后通过 first."""
    if not plan.expert_review_required:
        return ""
    if plan.state == S.PRE_REVIEW:
        return "本方案需开展专家评审，须先组织专家评审（第九条）"
    latest = plan.expert_reviews.order_by("-held_on", "-id").first()
    if latest is None:
        return "尚未登记专家评审结论（第九条）"
    if latest.conclusion == "fail":
        return f"最近一次专家评审（{latest.held_on}）结论为“不通过”，请退回修改或重新评审（第九条）"
    return ""


def guard_permits(plan: ImplementationPlan) -> str:
    """Leaving PERMITS needs at least one permit or filing on record (第十三条)."""
    if plan.state == S.PERMITS and not plan.permits.exists():
        return "尚未登记任何投资、土地、规划、建设行政许可或备案（第十三条）"
    return ""


def guard_land(plan: ImplementationPlan) -> str:
    """LAND → IMPLEMENTATION needs the first phase of land procedures done (第十八条)."""
    if plan.state == S.LAND and plan.land_first_done is None:
        return "尚未登记首期用地手续办结日期（第十八条）"
    return ""


def register_guards() -> None:
    workflow.register_guard(S.SUBMITTED, guard_materials)
    workflow.register_guard(S.JOINT_REVIEW, guard_expert_review)
    workflow.register_guard(S.LAND, guard_permits)
    workflow.register_guard(S.IMPLEMENTATION, guard_permits)
    workflow.register_guard(S.IMPLEMENTATION, guard_land)




# --- attachments (served by core's /media/ view) -----------------------------------------------------------

def can_read_file(user: Any, name: str) -> bool | None:
    """A plan's file ``name`` (path under MEDIA_ROOT): readable by whoever may read the plan; None when
    no version, material, expert review or permit holds it."""
    from .permissions import can_view

    for model, field in ((PlanVersion, "document"), (PlanMaterial, "file"), (ExpertReview, "file"), (PermitRecord, "file")):
        row = model.objects.filter(**{field: name}).select_related("plan").first()
        if row is not None:
            return can_view(user, row.plan)
    return None


# --- what the public site may show (used by the notices app) -------------------------------------------------

# From the notice on (第十一条) the plan's summary and latest text are public; never before.
PUBLIC_STATES = frozenset({S.NOTICE, S.PERMITS, S.LAND, S.IMPLEMENTATION})


def public_version(plan: ImplementationPlan) -> PlanVersion | None:
    """The plan text the public may download: the latest version, once the plan is noticed; else None."""
    if plan.state not in PUBLIC_STATES:
        return None
    return plan.latest_version

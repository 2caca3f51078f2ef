"""Funding plans, tranches and the double-funding flag (资金计划、拨付审核、中央资金交叉重复提示).

Every write is one transaction and audited (the models are ``AuditedModel``); a refused write raises
:class:`FundingError` with a Chinese message and saves nothing. Amounts are 万元, Decimal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet, Sum

from cityrenew.catalogue.policies import cite
from cityrenew.projects.choices import FundingSource
from cityrenew.projects.models import RenewalProject

from . import permissions
from .choices import ReviewDecision, ReviewStage, TrancheState
from .hooks import release_blockers
from .models import FundingLine, Tranche, TrancheAttachment, TrancheReview

ZERO = Decimal("0")

# 财办建〔2025〕11号 四、（一）: the subsidy is “根据工作推进情况分年拨付到位” — paid by year, after the
# progress checks other apps register (funding.hooks); here two reviews, district then finance.
RELEASE_SOURCE = cite("MOF-2025-11", "四、（一）", "资金根据工作推进情况分年拨付到位：拨付前经区级、财政两级审核并检查工作推进情况",
                      rule="中央财政补助资金分年拨付、拨付前审核")

# 财办建〔2025〕11号 四、（二）(seed L451–455): “具体项目上不得重复申请中央预算内投资、车购税资金、超长期特别国债等其他
# 渠道中央资金，防止交叉重复”.
DOUBLE_FUNDING_SOURCE = cite(
    "MOF-2025-11", "四、（二）",
    "具体项目上不得重复申请中央预算内投资、车购税资金、超长期特别国债等其他渠道中央资金，防止交叉重复",
    rule="中央财政城市更新补助资金不得与其他渠道中央资金交叉重复",
)
CENTRAL_SUBSIDY = FundingSource.CENTRAL_FINANCE
OTHER_CENTRAL_CHANNELS = (
    FundingSource.CENTRAL_BUDGET, FundingSource.VEHICLE_TAX, FundingSource.TREASURY_BOND, FundingSource.OTHER_CENTRAL,
)
COUNTED_STATES = (TrancheState.APPROVED, TrancheState.PAID)  # what a tranche draws from the plan


class FundingError(ValueError):  # 资金数据不符合规则（中文说明）
    def __init__(self, message: str, field: str = ""):
        self.message, self.field = message, field
        super().__init__(message)


def amount(value: Any, label: str = "金额", field: str = "") -> Decimal:
    """``value`` as a non-negative Decimal 万元, or FundingError naming ``label`` (``field``: the form field)."""
    field = field or label
    if isinstance(value, Decimal):
        d = value
    else:
        text = str(value if value is not None else "").strip().replace(",", "")
        try:
            d = Decimal(text)
        except InvalidOperation:
            raise FundingError(f"「{label}」“{value}”不是数字（单位：万元）", field) from None
    if not d.is_finite():
        raise FundingError(f"「{label}」“{value}”不是有限数字", field)
    if d < 0:
        raise FundingError(f"「{label}」不能为负数（填写的是 {d} 万元）", field)
    if d.as_tuple().exponent < -6 or d.adjusted() >= 12:
        raise FundingError(f"「{label}」{d} 超出范围：最多 12 位整数、6 位小数（万元）", field)
    return d


# --- the double-funding flag ---------------------------------------------------------------------

@dataclass(frozen=True)
class DoubleFunding:  # 中央资金交叉重复提示
    project: RenewalProject
    channels: tuple[str, ...]  # the other central channels the project draws

    @property
    def channel_labels(self) -> str:
        return "、".join(FundingSource(c).label for c in self.channels)

    @property
    def message(self) -> str:
        return (f"项目 {self.project.code} 同时安排了“{FundingSource(CENTRAL_SUBSIDY).label}”和“{self.channel_labels}”："
                f"{DOUBLE_FUNDING_SOURCE.note}（{DOUBLE_FUNDING_SOURCE}）。")

    @property
    def citation(self):
        return DOUBLE_FUNDING_SOURCE


def _draws(qs: QuerySet) -> QuerySet:
    """Lines that draw money: any planned, received or spent amount above zero."""
    from django.db.models import Q

    return qs.filter(Q(planned__gt=0) | Q(received__gt=0) | Q(spent__gt=0))


def double_funding(project: RenewalProject) -> DoubleFunding | None:
    """The flag when ``project`` draws the central renewal subsidy and another central channel (any year)."""
    channels = set(_draws(FundingLine.objects.filter(project=project)).values_list("channel", flat=True))
    others = tuple(c for c in OTHER_CENTRAL_CHANNELS if c in channels)
    if CENTRAL_SUBSIDY in channels and others:
        return DoubleFunding(project, others)
    return None


def double_funded(projects: QuerySet[RenewalProject] | None = None) -> list[DoubleFunding]:
    """Every flagged project of ``projects`` (default all), by code."""
    lines = _draws(FundingLine.objects.all())
    if projects is not None:
        lines = lines.filter(project__in=projects)
    by_project: dict[int, set[str]] = defaultdict(set)
    for pid, channel in lines.values_list("project_id", "channel").distinct():
        by_project[pid].add(channel)
    flagged = {pid: tuple(c for c in OTHER_CENTRAL_CHANNELS if c in chs)
               for pid, chs in by_project.items() if CENTRAL_SUBSIDY in chs}
    flagged = {pid: others for pid, others in flagged.items() if others}
    projects_by_id = RenewalProject.objects.in_bulk(list(flagged))
    return sorted((DoubleFunding(projects_by_id[pid], others) for pid, others in flagged.items()),
                  key=lambda f: f.project.code)


# --- the plan: planned vs received vs spent ---------------------------------------------------------

@dataclass
class PlanTotals:  # 资金计划汇总（万元）
    planned: Decimal = ZERO
    received: Decimal = ZERO
    spent: Decimal = ZERO
    drawn: Decimal = ZERO  # approved or paid tranches

    def add(self, line: FundingLine, drawn: Decimal = ZERO) -> None:
        self.planned += line.planned
        self.received += line.received
        self.spent += line.spent
        self.drawn += drawn

    @property
    def remaining(self) -> Decimal:
        return self.planned - self.drawn


@dataclass
class PlanRow:
    line: FundingLine
    drawn: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.line.planned - self.drawn


@dataclass
class Plan:  # 项目资金计划：渠道 × 年度，含小计与合计
    project: RenewalProject
    rows: list[PlanRow] = field(default_factory=list)
    by_year: dict[int, PlanTotals] = field(default_factory=dict)
    by_channel: dict[str, PlanTotals] = field(default_factory=dict)
    total: PlanTotals = field(default_factory=PlanTotals)

    @property
    def channel_totals(self) -> list[tuple[str, PlanTotals]]:
        return [(FundingSource(c).label, t) for c, t in self.by_channel.items()]


def drawn_amounts(project: RenewalProject) -> dict[tuple[str, int], Decimal]:
    rows = (Tranche.objects.filter(project=project, state__in=COUNTED_STATES)
            .values("channel", "year").annotate(s=Sum("amount")))
    return {(r["channel"], r["year"]): r["s"] or ZERO for r in rows}


def plan_of(project: RenewalProject) -> Plan:
    """``project``'s lines by year then channel, with totals per year, per channel and overall."""
    drawn = drawn_amounts(project)
    plan = Plan(project)
    order = {c: i for i, c in enumerate(FundingSource.values)}
    lines = sorted(FundingLine.objects.filter(project=project), key=lambda ln: (ln.year, order.get(ln.channel, 99)))
    for line in lines:
        d = drawn.get((line.channel, line.year), ZERO)
        plan.rows.append(PlanRow(line, d))
        plan.by_year.setdefault(line.year, PlanTotals()).add(line, d)
        plan.by_channel.setdefault(line.channel, PlanTotals()).add(line, d)
        plan.total.add(line, d)
    return plan


def remaining(project: RenewalProject, channel: str, year: int, *, exclude: Tranche | None = None) -> tuple[Decimal | None, Decimal]:
    """(planned or None when there is no line, planned − approved/paid tranches other than ``exclude``)."""
    line = FundingLine.objects.filter(project=project, channel=channel, year=year).first()
    if line is None:
        return None, ZERO
    drawn = Tranche.objects.filter(project=project, channel=channel, year=year, state__in=COUNTED_STATES)
    if exclude is not None and exclude.pk:
        drawn = drawn.exclude(pk=exclude.pk)
    used = drawn.aggregate(s=Sum("amount"))["s"] or ZERO
    return line.planned, line.planned - used


def check_within_plan(project: RenewalProject, channel: str, year: int, value: Decimal, *, exclude: Tranche | None = None) -> None:
    """FundingError unless ``value`` fits what the plan leaves in ``channel`` and ``year``."""
    label = FundingSource(channel).label if channel in FundingSource.values else channel
    planned, left = remaining(project, channel, year, exclude=exclude)
    if planned is None:
        raise FundingError(f"项目 {project.code} 没有 {year} 年“{label}”的资金计划，请先填写资金计划再申请拨付", "channel")
    if value > left:
        raise FundingError(
            f"申请金额 {fmt(value)} 万元超过资金计划剩余额度：{year} 年“{label}”计划 {fmt(planned)} 万元，"
            f"已审核或已拨付 {fmt(planned - left)} 万元，剩余 {fmt(left)} 万元", "amount")


def check_planned_covers_drawn(project: RenewalProject, channel: str, year: int, planned: Decimal) -> None:
    """FundingError when ``planned`` would fall below what approved/paid tranches already drew from that line."""
    drawn = (Tranche.objects.filter(project=project, channel=channel, year=year, state__in=COUNTED_STATES)
             .aggregate(s=Sum("amount"))["s"] or ZERO)
    if planned < drawn:
        raise FundingError(f"计划金额 {fmt(planned)} 万元低于该渠道该年度已审核、已拨付的拨付申请合计 {fmt(drawn)} 万元", "planned")


def fmt(d: Decimal) -> str:
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- writes -------------------------------------------------------------------------------------------

def _attach(tranche: Tranche, files: Iterable[Any], user: Any, review: TrancheReview | None = None) -> None:
    from django.core.exceptions import ValidationError

    from cityrenew.core.uploads import validate_attachment

    for f in files:
        try:
            validate_attachment(f)
        except ValidationError as exc:
            raise FundingError("；".join(exc.messages), "attachments") from None
        att = TrancheAttachment(tranche=tranche, review=review, uploaded_by=user if user.is_authenticated else None,
                                description=getattr(f, "name", ""))
        att.file.save(f.name, f, save=False)
        att.save()


def request_tranche(user: Any, project: RenewalProject, *, channel: str, year: int, amount_value: Any,
                    purpose: str = "", files: Iterable[Any] = ()) -> Tranche:
    """Register a tranche request (已申请); refused (nothing saved) beyond the plan or negative."""
    if not permissions.can_request(user, project):
        raise PermissionDenied(f"无权为项目 {project.code} 申请拨付：须为可编辑该项目的用户或其实施主体填报员。")
    if channel not in FundingSource.values:
        raise FundingError(f"「资金渠道」“{channel}”不是可选的渠道", "channel")
    from cityrenew.core.fieldrules import check_fields

    check_fields(user, Tranche, ["project", "channel", "year", "amount", "purpose"])
    value = amount(amount_value, "申请金额", "amount")
    if value == 0:
        raise FundingError("「申请金额」必须大于 0 万元", "amount")
    with transaction.atomic():
        FundingLine.objects.select_for_update().filter(project=project, channel=channel, year=int(year)).first()
        check_within_plan(project, channel, int(year), value)
        t = Tranche(project=project, channel=channel, year=int(year), amount=value, purpose=purpose,
                    requested_by=user if user.is_authenticated else None)
        t.full_clean()
        t.save()
        _attach(t, files, user)
    return t


NEXT_STATE = {
    ReviewStage.DISTRICT: TrancheState.DISTRICT_APPROVED,
    ReviewStage.FINANCE: TrancheState.APPROVED,
    ReviewStage.PAYMENT: TrancheState.PAID,
}


def decide(user: Any, tranche: Tranche, *, approve: bool, comment: str = "", files: Iterable[Any] = ()) -> TrancheReview:
    """The next decision on ``tranche``: approve (区级 → 财政 → 拨付) or return it (退回, with a reason).

    Approving checks again that the tranche fits the plan (others may have been approved meanwhile) and,
    before finance approves, asks every registered release check (``hooks.release_blockers``).
    """
    with transaction.atomic():
        tranche = Tranche.objects.select_for_update(of=("self",)).select_related("project").get(pk=tranche.pk)
        # two approvals of tranches of one plan line at once: the line's lock makes the second wait and see the first
        FundingLine.objects.select_for_update().filter(project_id=tranche.project_id, channel=tranche.channel,
                                                       year=tranche.year).first()
        stage = permissions.stage_of(tranche)
        if stage is None or not permissions.can_decide(user, tranche):
            raise PermissionDenied(permissions.decision_denial(tranche))
        comment = (comment or "").strip()
        if not approve:
            if stage == ReviewStage.PAYMENT:
                raise FundingError("财政已审核的申请不能退回，只能登记拨付", "decision")
            if not comment:
                raise FundingError("退回时必须填写「意见说明」，写明退回原因", "comment")
            tranche.state = TrancheState.REJECTED
            decision = ReviewDecision.REJECT
        else:
            if stage != ReviewStage.PAYMENT:
                check_within_plan(tranche.project, tranche.channel, tranche.year, tranche.amount, exclude=tranche)
            if stage == ReviewStage.FINANCE:
                blockers = release_blockers(tranche)
                if blockers:
                    raise FundingError("暂不能拨付：" + "；".join(blockers), "decision")
            tranche.state = NEXT_STATE[stage]
            decision = ReviewDecision.PAID if stage == ReviewStage.PAYMENT else ReviewDecision.APPROVE
        review = TrancheReview.objects.create(tranche=tranche, stage=stage, decision=decision, comment=comment,
                                              user=user if user.is_authenticated else None)
        tranche.save()
        _attach(tranche, files, user, review)
    return review

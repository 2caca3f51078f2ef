"""The joint-review workflow of an implementation plan (实施方案联审流程): states, who moves them, why.

Every change of ``ImplementationPlan.state`` goes through :func:`transition`: it checks the move is in
:data:`TRANSITIONS`, that the user holds an actor role for it on this plan (:func:`actors_of`), that
every guard registered for the target state by another app (materials complete, review opinions in,
vote passed, notice period) passes, then saves the plan (audited) and appends a ``PlanTransition``.
Each move cites the article of 《北京市城市更新实施方案联合审查管理办法（试行）》 (``BJ-2024-JOINT-REVIEW``)
that makes it; refusals are Chinese ``TransitionError`` messages and change nothing.

Actors:

* ``entity`` — a 实施主体填报员 (``Role.ENTITY_EDITOR``) whose organisation is the plan's 实施主体 or 统筹主体;
* ``authority`` — a 区级编辑 over the plan's district (the 区城市更新主管部门) or a 市级管理员;
* ``system`` — the platform itself (a notice period ending), ``user`` may be None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from cityrenew.catalogue.policies import Citation, cite
from cityrenew.core.checks import Check, CheckRegistry
from cityrenew.core.choices import Role
from cityrenew.core.permissions import can_edit_regions, is_city_admin, roles_of

from .choices import PlanState as S

DOC = "BJ-2024-JOINT-REVIEW"
ENTITY, AUTHORITY, SYSTEM = "entity", "authority", "system"


class TransitionError(Exception):
    """A refused state change (message in Chinese); nothing was changed."""


@dataclass(frozen=True)
class Move:  # 一次允许的状态流转
    source: str
    target: str
    actors: frozenset[str]
    label: str
    citation: Citation


def _m(source: str, target: str, actors: set[str], label: str, article: str, note: str) -> Move:
    return Move(source, target, frozenset(actors), label, cite(DOC, article, note, rule=f"实施方案流转：{label}"))


MOVES: list[Move] = [
    _m(S.DRAFTING, S.CONSULTATION, {ENTITY}, "开始征询意见", "第五条", "编制过程中应当与相关物业权利人进行充分协商，征询利害关系人的意见"),
    _m(S.CONSULTATION, S.CONSENTED, {ENTITY}, "物业权利人同意或表决通过", "第六条", "经物业权利人同意或者依法共同表决通过的城市更新实施方案"),
    _m(S.CONSULTATION, S.DRAFTING, {ENTITY}, "退回编制", "第五条", "通过共同协商确定实施方案"),
    _m(S.CONSENTED, S.SUBMITTED, {ENTITY}, "报送区城市更新主管部门", "第六条", "由统筹主体、实施主体报送区城市更新主管部门"),
    _m(S.SUBMITTED, S.PRE_REVIEW, {AUTHORITY}, "受理并开展审查前准备", "第八条", "区城市更新主管部门应当做好实施方案联合审查前准备工作"),
    _m(S.PRE_REVIEW, S.REVISION, {AUTHORITY}, "告知修改补充", "第八条", "告知统筹主体、实施主体修改、补充、完善"),
    _m(S.REVISION, S.SUBMITTED, {ENTITY}, "修改后重新报送", "第八条", "修改、补充、完善"),
    _m(S.PRE_REVIEW, S.EXPERT_REVIEW, {AUTHORITY}, "组织专家评审", "第九条", "需开展专家评审或评估的，应当根据有关规定开展"),
    _m(S.EXPERT_REVIEW, S.JOINT_REVIEW, {AUTHORITY}, "专家评审完成，提交联合审查", "第十条", "区政府组织区城市更新主管部门和相关行业主管部门开展联合审查"),
    _m(S.PRE_REVIEW, S.JOINT_REVIEW, {AUTHORITY}, "提交联合审查", "第十条", "区政府组织区城市更新主管部门和相关行业主管部门开展联合审查"),
    _m(S.JOINT_REVIEW, S.REVISION, {AUTHORITY}, "联审退回修改", "第八条", "告知统筹主体、实施主体修改、补充、完善"),
    _m(S.JOINT_REVIEW, S.APPROVED, {AUTHORITY}, "通过联合审查，出具审查意见", "第十条", "通过审查的，由区城市更新主管部门会同相关行业主管部门出具审查意见"),
    _m(S.JOINT_REVIEW, S.NOT_APPROVED, {AUTHORITY}, "未通过联合审查", "第十条", "联合审查"),
    _m(S.APPROVED, S.NOTICE, {AUTHORITY}, "在城市更新信息系统公示", "第十一条", "项目情况应在城市更新信息系统中进行公示，公示时间不少于15个工作日"),
    _m(S.NOTICE, S.PERMITS, {AUTHORITY, SYSTEM}, "公示期满，办理许可和备案", "第十三条", "依法办理投资、土地、规划、建设等行政许可或备案手续"),
    _m(S.PERMITS, S.LAND, {ENTITY, AUTHORITY}, "办理土地手续", "第十八条", "原则上应在获得方案联合审查意见后2年内完成首期土地手续办理，5年内完成全部土地手续办理"),
    _m(S.LAND, S.IMPLEMENTATION, {ENTITY, AUTHORITY}, "进入实施监管", "第十五条", "区政府应当对本行政区域内城市更新实施方案审查和实施进行全过程监管"),
    _m(S.PERMITS, S.IMPLEMENTATION, {ENTITY, AUTHORITY}, "进入实施监管（无需土地手续）", "第十五条", "全过程监管"),
]
for _state in (S.DRAFTING, S.CONSULTATION, S.CONSENTED, S.SUBMITTED, S.REVISION):
    MOVES.append(Move(_state, S.WITHDRAWN, frozenset({ENTITY}), "撤回", MOVES[0].citation))

TRANSITIONS: dict[tuple[str, str], Move] = {(m.source, m.target): m for m in MOVES}

# Guards other apps register for a target state: fn(plan) -> Chinese reason it may not move, or "".
Guard = Check
_GUARDS = CheckRegistry()


def register_guard(target: str, guard: Guard) -> Guard:
    """Register ``guard`` for moves into ``target`` (call from an app's ``ready()``)."""
    return _GUARDS.register(target, guard)


def actors_of(plan: Any, user: Any) -> set[str]:
    """The actor roles ``user`` holds on ``plan`` (``entity``, ``authority``)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    found: set[str] = set()
    if getattr(user, "is_superuser", False) or is_city_admin(user):
        found.add(AUTHORITY)
    elif can_edit_regions(user, [plan.district_id]):
        found.add(AUTHORITY)
    orgs = {plan.entity_id, plan.coordinator_id} - {None}
    if any(r.role == Role.ENTITY_EDITOR and r.organisation_id in orgs for r in roles_of(user)):
        found.add(ENTITY)
    return found


def moves_for(plan: Any, user: Any) -> list[Move]:
    """The moves ``user`` may start from the plan's current state (guards not yet checked)."""
    mine = actors_of(plan, user)
    return [m for m in MOVES if m.source == plan.state and m.actors & mine]


def refusal(plan: Any, target: str, *, user: Any = None, system: bool = False) -> str:
    """Why ``plan`` may not move to ``target`` now (Chinese), or "" when it may: the same checks as
    :func:`transition` (the move exists, the user is one of its actors, every guard passes), no write.
    Pages use it to show a move's button disabled with the reason."""
    move = TRANSITIONS.get((plan.state, target))
    if move is None:
        return f"实施方案{plan.code}当前状态为“{plan.get_state_display()}”，不能变更为“{S(target).label}”"
    allowed = move.actors & ({SYSTEM} if system else actors_of(plan, user))
    if not allowed:
        return f"您无权对实施方案{plan.code}执行“{move.label}”（依据《{move.citation.doc.title}》{move.citation.where}）"
    reason = next(_GUARDS.reasons(target, plan), "")
    return f"实施方案{plan.code}不能“{move.label}”：{reason}" if reason else ""


def transition(plan: Any, target: str, *, user: Any = None, note: str = "", system: bool = False) -> Any:
    """Move ``plan`` to ``target`` or raise :class:`TransitionError`; returns the ``PlanTransition``."""
    from .models import PlanTransition

    reason = refusal(plan, target, user=user, system=system)
    if reason:
        raise TransitionError(reason)
    with transaction.atomic():
        source = plan.state
        plan.state = target
        plan.save()
        return PlanTransition.objects.create(plan=plan, from_state=source, to_state=target, user=user, note=note)

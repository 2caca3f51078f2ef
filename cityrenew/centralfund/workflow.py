"""The W1 state machine of a central-fund application (财办建〔2025〕11号 三、 and 六、).

Every change of ``Application.state`` goes through :func:`transition`: the move must be in
:data:`TRANSITIONS`, the user must hold an actor role for it (:mod:`.permissions`: city, province,
ministry), its checks (:data:`CHECKS`, and guards other apps register with :func:`register_guard`, e.g.
the performance tables before 绩效目标表已备案) must pass; then the application is saved (audited) and an
``ApplicationTransition`` appended. Refusals are Chinese :class:`TransitionError` and change nothing.
The selection round (:mod:`.services`) moves its linked applications through the same function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from cityrenew.catalogue.policies import Citation, cite
from cityrenew.core.checks import Check, CheckRegistry

from . import rules
from .choices import ApplicationState as S
from .permissions import CITY, MINISTRY, PROVINCE, actors_of

DOC = rules.DOC


class TransitionError(Exception):
    """A refused state change (message in Chinese); nothing was changed."""


@dataclass(frozen=True)
class Move:  # 一次允许的状态流转
    source: str
    target: str
    actors: frozenset[str]
    label: str
    citation: Citation
    needs_note: bool = False


def _m(source, target, actors, label, article, note, needs_note=False) -> Move:
    return Move(source, target, frozenset(actors), label, cite(DOC, article, note, rule=f"中央财政支持申报流转：{label}"),
                needs_note)


MOVES: list[Move] = [
    _m(S.DRAFT, S.RECOMMENDED, {PROVINCE}, "省级推荐", "三、（一）",
       "省级财政、住房城乡建设部门对照申报工作要求，择优推荐本地区符合条件的城市参与评审；直辖市可由城市政府有关部门直接申报"),
    _m(S.RECOMMENDED, S.DRAFT, {PROVINCE}, "退回城市修改", "三、（一）", "组织编制工作方案，并提供必要的支撑材料"),
    _m(S.RECOMMENDED, S.SUBMITTED, {PROVINCE}, "联合行文报送两部", "六、（一）",
       "于4月30日前联合行文报送财政部、住房城乡建设部，电子版材料大小不超过8GB"),
    _m(S.SUBMITTED, S.IN_WRITTEN_REVIEW, {MINISTRY}, "受理，进入书面评审", "三、（二）", "组织专家对城市申报方案进行审查"),
    _m(S.SUBMITTED, S.REJECTED_FORMAL, {MINISTRY}, "不按要求报送，不予受理", "六、（三）",
       "对不按要求报送或申报内容明显不实的城市，将取消当年申报资格", needs_note=True),
    _m(S.IN_WRITTEN_REVIEW, S.SHORTLISTED, {MINISTRY}, "进入现场答辩", "三、（二）", "按照120%差额比例确定进入现场答辩的城市名单"),
    _m(S.IN_WRITTEN_REVIEW, S.NOT_SHORTLISTED, {MINISTRY}, "未进入现场答辩", "三、（二）", "按照120%差额比例确定进入现场答辩的城市名单"),
    _m(S.SHORTLISTED, S.DEFENDED, {MINISTRY}, "完成现场答辩", "三、（三）", "进入现场答辩的各城市派员参加公开答辩"),
    _m(S.DEFENDED, S.SELECTED, {MINISTRY}, "确定入围", "三、（四）", "综合书面评审和现场答辩得分情况，确定入围城市"),
    _m(S.DEFENDED, S.NOT_SELECTED, {MINISTRY}, "未入围", "三、（四）", "综合书面评审和现场答辩得分情况，确定入围城市"),
    _m(S.SELECTED, S.IN_PUBLICITY, {MINISTRY}, "集中公示", "三、（四）", "入围城市经过公示"),
    _m(S.IN_PUBLICITY, S.CONFIRMED, {MINISTRY}, "公示无异议，确定为支持城市", "三、（四）",
       "无异议的确定为中央财政支持实施城市更新行动城市"),
    _m(S.CONFIRMED, S.TARGETS_FILED, {CITY}, "报送盖章绩效目标表备案", "六、（四）",
       "将三年行动总体绩效目标表、2025年度绩效目标表加盖城市人民政府公章后，于公示期结束前报财政部、住房城乡建设部备案"),
    _m(S.TARGETS_FILED, S.FUNDED, {MINISTRY}, "分年拨付中央补助", "四、（一）", "资金根据工作推进情况分年拨付到位"),
    _m(S.FUNDED, S.TRACKING, {PROVINCE}, "日常跟踪监督", "五、", "省级住房城乡建设、财政部门应建立对入围城市的日常跟踪及监督机制"),
    _m(S.TRACKING, S.EVALUATED, {MINISTRY}, "绩效评价", "五、",
       "按照《中央财政支持城市更新行动绩效评价办法》（财办建〔2024〕46号）开展绩效评价"),
]
_DISQUALIFY = cite(DOC, "三、（四）", "存在违规行为并经查实的，取消资格", rule="中央财政支持申报流转：取消资格")
for _src in (S.SELECTED, S.IN_PUBLICITY, S.CONFIRMED, S.TARGETS_FILED, S.FUNDED, S.TRACKING):
    MOVES.append(Move(_src, S.DISQUALIFIED, frozenset({MINISTRY}), "违规经查实，取消资格", _DISQUALIFY, True))
_INELIGIBLE = cite(DOC, "六、（三）", "对不按要求报送或申报内容明显不实的城市，将取消当年申报资格",
                   rule="中央财政支持申报流转：取消当年申报资格")
for _src in (S.RECOMMENDED, S.SUBMITTED, S.IN_WRITTEN_REVIEW, S.SHORTLISTED, S.DEFENDED):
    MOVES.append(Move(_src, S.INELIGIBLE, frozenset({MINISTRY}), "申报内容明显不实，取消当年申报资格", _INELIGIBLE, True))

TRANSITIONS: dict[tuple[str, str], Move] = {(m.source, m.target): m for m in MOVES}

Guard = Check
_GUARDS = CheckRegistry()


def register_guard(target: str, guard: Guard) -> Guard:
    """Register ``guard(application) -> reason or ""`` for moves into ``target`` (from an app's ``ready()``)."""
    return _GUARDS.register(target, guard)


def gate_problems(app: Any) -> list[str]:
    """Why the eligibility gate is not passed (二、: 三项基础条件须同时满足，每项附佐证材料), [] when it is."""
    from .choices import Condition, SizeClass

    out = []
    if app.size_class == SizeClass.OTHER:
        out.append(f"城市规模为“{app.get_size_class_display()}”，支持范围为大城市及以上城市（{rules.SCOPE_SOURCE}）")
    conditions = {c.condition: c for c in app.conditions.all()}
    for cond in Condition:
        c = conditions.get(cond.value)
        if c is None or c.met is None:
            out.append(f"基础条件{cond.value}（{cond.label}）未填写是否满足")
        elif not c.met:
            out.append(f"基础条件{cond.value}（{cond.label}）不满足")
        elif not app.files.filter(kind=f"condition_{cond.value}").exists():
            out.append(f"基础条件{cond.value}（{cond.label}）缺少佐证材料")
    return out


def _recommend_checks(app: Any) -> list[str]:
    from .choices import FileKind
    from .models import Application

    out = gate_problems(app)
    if not app.old_city_scope.strip():
        out.append("工作方案未写明具体实施范围（集中在城市老城区，二、 1.）")
    if not app.files.filter(kind=FileKind.WORK_PLAN).exists():
        out.append("未上传工作方案")
    if not app.flagships.exists():
        out.append("未填写样板项目或样板片区（四、（二）1.）")
    if not app.mechanisms.exists():
        out.append("未填写机制建设事项（四、（二）2.）")
    others = (Application.objects.filter(year=app.year, city__parent_id=app.city.parent_id)
              .exclude(pk=app.pk).exclude(state__in=[S.DRAFT, S.INELIGIBLE, S.REJECTED_FORMAL]))
    if app.city.parent_id and others.exists():
        other = others.select_related("city").first()
        out.append(f"{app.province_name}{app.year}年度已推荐{other.city.name}；每省（区、市）只可推荐1个城市参评"
                   f"（{rules.ONE_PER_PROVINCE_SOURCE}）")
    if app.requested_subsidy is not None:
        from .caps import region_of

        cap = region_of(app.province_name)
        if app.requested_subsidy > cap.cap_yi:
            out.append(f"申请中央补助 {app.requested_subsidy} 亿元超过{cap.region_label}每个城市上限 {cap.cap_yi} 亿元"
                       f"（{rules.CAP_SOURCE}）")
    return out


def _submit_checks(app: Any) -> list[str]:
    from .choices import FileKind

    out = []
    problem = rules.package_problem(list(app.files.values_list("size", flat=True)))
    if problem:
        out.append(problem)
    if app.files.filter(classified_checked=False).exists():
        names = "、".join(app.files.filter(classified_checked=False).values_list("name", flat=True)[:5])
        out.append(f"以下材料未确认不含涉密内容：{names}（六、（一）：申报材料不得包含任何涉密文件、涉密内容）")
    if not app.is_municipality and not app.files.filter(kind=FileKind.JOINT_DOCUMENT).exists():
        out.append("未上传省级财政、住房城乡建设部门联合行文（六、（一））")
    if not app.authenticity_commitment:
        out.append("未确认对报送内容真实性负责（六、（三））")
    return out


CHECKS: dict[str, Callable[[Any], list[str]]] = {S.RECOMMENDED: _recommend_checks, S.SUBMITTED: _submit_checks}


def moves_for(app: Any, user: Any) -> list[Move]:
    mine = actors_of(app, user)
    return [m for m in MOVES if m.source == app.state and m.actors & mine]


def transition(app: Any, target: str, *, user: Any = None, note: str = "") -> Any:
    """Move ``app`` to ``target`` or raise :class:`TransitionError`; returns the ``ApplicationTransition``."""
    from .models import ApplicationTransition

    move = TRANSITIONS.get((app.state, target))
    if move is None:
        raise TransitionError(f"{app}当前状态为“{app.get_state_display()}”，不能变更为“{S(target).label}”")
    if not move.actors & actors_of(app, user):
        raise TransitionError(f"您无权对{app}执行“{move.label}”（依据{move.citation}）")
    if move.needs_note and not note.strip():
        raise TransitionError(f"“{move.label}”须填写原因")
    problems = list(CHECKS.get(target, lambda a: [])(app))
    problems += list(_GUARDS.reasons(target, app))
    if problems:
        raise TransitionError(f"{app}不能“{move.label}”：" + "；".join(problems))
    with transaction.atomic():
        source = app.state
        app.state = target
        if move.needs_note:
            app.reason = note.strip()[:500]
        app.save()
        return ApplicationTransition.objects.create(application=app, from_state=source, to_state=target,
                                                    user=user, note=note[:500])

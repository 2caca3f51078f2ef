"""Who reads and writes implementation plans (实施方案的读写权限).

* read: every signed-in user with a role other than 实施主体填报员 (or no role: a reader) reads every
  plan, as the project library is read; a user whose only role is 实施主体填报员 reads the plans of
  its organisations (实施主体 or 统筹主体) only;
* create: a 实施主体填报员 for its own organisation, inside the region of its role; a 区级编辑 in its
  districts and a 市级管理员 anywhere (``core.permissions``);
* edit: the entity while the plan is 编制中 / 意见征询中 / 退回修改 (第五条、第八条) and, after the
  notice, the land-procedure dates; the authority (区城市更新主管部门) the review fields at any time.

The region scope is :mod:`cityrenew.core.permissions`, the field-level rules ``plans/fieldrules.py``,
the state machine ``plans/workflow.py``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from cityrenew.core.choices import Role
from cityrenew.core.permissions import (
    can_edit_any,
    can_edit_regions,
    region_ids_for,
    roles_of,
)

from .choices import PlanState as S
from .models import ImplementationPlan
from .workflow import AUTHORITY, ENTITY, actors_of

# The entity writes the plan's content in these states; the land dates once the notice is over.
CONTENT_STATES = frozenset({S.DRAFTING, S.CONSULTATION, S.REVISION})
LAND_STATES = frozenset({S.PERMITS, S.LAND, S.IMPLEMENTATION})


def entity_org_ids(user: Any) -> set[int]:
    """The organisations for which ``user`` is a 实施主体填报员."""
    return {r.organisation_id for r in roles_of(user) if r.role == Role.ENTITY_EDITOR and r.organisation_id}


def entity_only(user: Any) -> bool:
    roles = {r.role for r in roles_of(user)}
    return bool(roles) and roles <= {Role.ENTITY_EDITOR} and not getattr(user, "is_superuser", False)


def readable_plans(user: Any, qs: QuerySet | None = None) -> QuerySet:
    qs = ImplementationPlan.objects.all() if qs is None else qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if not entity_only(user):
        return qs
    orgs = entity_org_ids(user)
    return qs.filter(Q(entity_id__in=orgs) | Q(coordinator_id__in=orgs))


def can_view(user: Any, plan: ImplementationPlan) -> bool:
    return readable_plans(user, ImplementationPlan.objects.filter(pk=plan.pk)).exists()


def can_create(user: Any) -> bool:
    return can_edit_any(user) or bool(entity_org_ids(user))


def can_create_in(user: Any, district_id: int) -> bool:
    if can_edit_regions(user, [district_id]):
        return True
    ids = region_ids_for(user, [Role.ENTITY_EDITOR])
    return ids is None or district_id in ids


def can_edit(user: Any, plan: ImplementationPlan) -> bool:
    actors = actors_of(plan, user)
    if AUTHORITY in actors:
        return True
    return ENTITY in actors and plan.state in CONTENT_STATES | LAND_STATES


def can_write_content(user: Any, plan: ImplementationPlan) -> bool:
    """May ``user`` upload a new version of the plan now (the entity, while drafting/revising)?"""
    return ENTITY in actors_of(plan, user) and plan.state in CONTENT_STATES


def can_add_material(user: Any, plan: ImplementationPlan) -> bool:
    """May ``user`` upload a material of 第六条 now (the entity, until it submits; again after a return)?"""
    return ENTITY in actors_of(plan, user) and plan.state in CONTENT_STATES | {S.CONSENTED}


def is_authority(user: Any, plan: ImplementationPlan) -> bool:
    return AUTHORITY in actors_of(plan, user)


def edit_denial(plan: ImplementationPlan) -> str:
    return (f"实施方案{plan.code}当前状态为“{plan.get_state_display()}”：实施主体只能在编制中、意见征询中或退回修改时修改方案，"
            f"公示期满后登记用地手续；其他情形由区城市更新主管部门办理。")

"""Field-level write rules of implementation plans (实施方案字段级写权限), see :mod:`cityrenew.core.fieldrules`.

The entity (实施主体填报员) writes the plan's content; the authority (区级编辑, 市级管理员) the review
fields (需专家评审, 项目类别). Nobody writes ``state`` directly (only ``workflow.transition``), nor the
联合审查意见日期 (set by the review app when the opinion is issued). Which *state* allows a write is
:mod:`cityrenew.plans.permissions`.
"""

from __future__ import annotations

from typing import Any

from cityrenew.core.choices import Role
from cityrenew.core.fieldrules import register, register_audit_scope

from .models import (
    ExpertReview,
    ImplementationPlan,
    PermitRecord,
    PlanMaterial,
    PlanVersion,
    RevisionItem,
    RevisionRequest,
)
from .permissions import entity_only, entity_org_ids, readable_plans

CONTENT = {"title", "coordinator", "category", "summary", "other_rights"}
LAND = {"land_first_done", "land_all_done"}
IDENTITY = {"code", "project", "district", "entity"}
AUTHORITY_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_EDITOR)


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _own_entity(user: Any, obj: Any, value: Any) -> str | None:
    """A 实施主体填报员 (without an authority role) registers plans of its own organisation only."""
    if value in (None, "") or getattr(user, "is_superuser", False):
        return None
    from cityrenew.core.permissions import roles_of

    if any(r.role in AUTHORITY_ROLES for r in roles_of(user)):
        return None
    if int(_pk(value)) not in entity_org_ids(user):
        return "只能选择您所属的实施主体"
    return None


def _district_in_scope(user: Any, obj: Any, value: Any) -> str | None:
    from .permissions import can_create_in

    if value in (None, "") or can_create_in(user, int(_pk(value))):
        return None
    return "超出您的授权区划范围"


register(
    ImplementationPlan,
    create={
        Role.ENTITY_EDITOR: IDENTITY | CONTENT,
        Role.DISTRICT_EDITOR: IDENTITY | CONTENT | {"expert_review_required"},
        Role.CITY_ADMIN: IDENTITY | CONTENT | {"expert_review_required"},
    },
    update={
        Role.ENTITY_EDITOR: CONTENT | LAND,
        Role.DISTRICT_EDITOR: CONTENT | LAND | {"expert_review_required"},
        Role.CITY_ADMIN: CONTENT | LAND | {"expert_review_required"},
    },
    reasons={
        "code": "登记后不能修改", "project": "登记后不能修改", "district": "登记后不能修改", "entity": "登记后不能修改",
        "state": "只能通过状态流转（报送、审查、公示等按钮）变更",
        "opinion_date": "由联合审查出具审查意见时设置",
        "expert_review_required": "由区城市更新主管部门在审查前准备时确定（第九条）",
    },
    value_rules={"entity": _own_entity, "district": _district_in_scope},
)


def _plans_of(model, path: str):
    def readable(user: Any):
        if not entity_only(user):
            return None  # every signed-in user but an entity-only one reads every plan
        return model.objects.filter(**{f"{path}__in": readable_plans(user).values("pk")})
    return readable


register_audit_scope(ImplementationPlan, lambda user: readable_plans(user) if entity_only(user) else None)
for _model, _path in ((PlanVersion, "plan"), (PlanMaterial, "plan"), (RevisionRequest, "plan"),
                      (RevisionItem, "request__plan"), (ExpertReview, "plan"), (PermitRecord, "plan")):
    register_audit_scope(_model, _plans_of(_model, _path))
    # written by the plan pages' own actions (services.py), never through a generic form or the API
    register(_model, create={}, update={}, reasons={f.name: "通过实施方案页面的相应操作登记" for f in _model._meta.concrete_fields})


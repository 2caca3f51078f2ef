"""Field-level write rules of the project library (项目库字段级写权限), see :mod:`cityrenew.core.fieldrules`.

Workflow fields change only through their workflow: a project's 入库批次, 调出批次, 片区分组 and
序号 (its place in the official tables), and the statuses 入库 and 调出, are set by an adjustment
batch (调整批次) that a 市级管理员 registers, by import or on the pages. A 区级编辑 keeps the
project's own data up to date inside its district: name, districts, investment, category, entity,
years, location, description, and the progress statuses 谋划 ↔ 储备 and 入库 → 实施 → 竣工.
The 项目编号 identifies the project in the official tables and is never changed in place.
"""

from __future__ import annotations

from typing import Any

from cityrenew.catalogue.policies import cite
from cityrenew.core.choices import RegionLevel, Role
from cityrenew.core.fieldrules import is_city_level, register, register_audit_scope
from cityrenew.core.models import Region, RoleAssignment
from cityrenew.core.permissions import region_ids_for

from .choices import ProjectStatus
from .models import AdjustmentBatch, ProjectFunding, RenewalProject

# 财办建〔2025〕11号 三、（一）项目储备和生成: projects enter and leave the library by batch.
WORKFLOW_SOURCE = cite("ZZJW-2025-45", "表头", "项目入库、调出以调整批次（如郑建文〔2025〕45号新增入库项目清单）为准",
                       rule="项目入库、调出只经调整批次")
BY_BATCH = "只能通过调整批次由市级管理员变更"

OWN_DATA = {
    "name", "districts", "total_investment", "category", "status", "implementing_entity", "start_year", "end_year",
    "location", "location_source", "description",
}
WORKFLOW = {"batch", "region_group", "seq"}

# Progress a district editor may record (from → to); 入库 and 调出 belong to adjustment batches.
DISTRICT_TRANSITIONS: dict[str, set[str]] = {
    ProjectStatus.PLANNING: {ProjectStatus.RESERVE},
    ProjectStatus.RESERVE: {ProjectStatus.PLANNING},
    ProjectStatus.LIBRARY: {ProjectStatus.IMPLEMENTING},
    ProjectStatus.IMPLEMENTING: {ProjectStatus.COMPLETED},
    ProjectStatus.COMPLETED: {ProjectStatus.IMPLEMENTING},
    ProjectStatus.REMOVED: set(),
}
DISTRICT_NEW = {ProjectStatus.PLANNING, ProjectStatus.RESERVE}  # a district registers projects before 入库


def allowed_statuses(user: Any, project: RenewalProject | None) -> set[str] | None:
    """Statuses ``user`` may give ``project`` (None: any; 市级管理员 and superusers)."""
    if is_city_level(user):
        return None
    if project is None or project.pk is None:
        return set(DISTRICT_NEW)
    return {project.status} | DISTRICT_TRANSITIONS.get(project.status, set())


def status_rule(user: Any, project: RenewalProject | None, value: Any) -> str | None:
    allowed = allowed_statuses(user, project)
    if allowed is None or value in allowed:
        return None
    label = ProjectStatus(value).label if value in ProjectStatus.values else str(value)
    if project is None or project.pk is None:
        return f"新建项目只能为“谋划”或“储备”；“{label}”{BY_BATCH}"
    return f"不能从“{project.get_status_display()}”改为“{label}”：入库、调出{BY_BATCH}"


def _new_project_defaults(user: Any) -> dict[str, Any]:
    return {} if is_city_level(user) else {"status": ProjectStatus.PLANNING}


register(
    RenewalProject,
    create={
        Role.CITY_ADMIN: OWN_DATA | WORKFLOW | {"code"},
        Role.DISTRICT_EDITOR: OWN_DATA | {"code"},
    },
    update={
        Role.CITY_ADMIN: OWN_DATA | WORKFLOW,
        Role.DISTRICT_EDITOR: OWN_DATA,
    },
    reasons={
        "batch": BY_BATCH,
        "region_group": BY_BATCH,
        "seq": BY_BATCH,
        "removed_batch": "只能由市级管理员通过“调出”调整批次登记",
        "code": "新建后不能修改：项目编号是项目在官方项目库中的标识，如需改号由市级管理员通过调整批次调出后重新入库",
    },
    value_rules={"status": status_rule},
    allowed_values={"status": allowed_statuses},
    create_defaults=_new_project_defaults,
)

register(
    ProjectFunding,
    create={Role.CITY_ADMIN: {"project", "source", "amount", "note"}, Role.DISTRICT_EDITOR: {"project", "source", "amount", "note"}},
    update={Role.CITY_ADMIN: {"source", "amount", "note"}, Role.DISTRICT_EDITOR: {"source", "amount", "note"}},
    reasons={"project": "登记后不能更改：资金来源不能移到其他项目（请删除后在目标项目下重新填写）"},
)

BATCH_FIELDS = {"city", "doc_number", "title", "batch_type", "date", "url", "note"}
register(
    AdjustmentBatch,
    create={Role.CITY_ADMIN: BATCH_FIELDS},
    update={Role.CITY_ADMIN: BATCH_FIELDS},
    reasons={f: "只能由市级管理员登记" for f in BATCH_FIELDS},
)


# --- who may read the audit entries of the library -------------------------------------------

READ_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_EDITOR, Role.VIEWER)


def readable_projects(user: Any):
    """Projects with at least one district inside the user's regions (any project role); None: all."""
    ids = region_ids_for(user, READ_ROLES)
    if ids is None:
        return None
    linked = RenewalProject.districts.through.objects.filter(region_id__in=ids).values("renewalproject_id")
    return RenewalProject.objects.filter(pk__in=linked)


def readable_fundings(user: Any):
    projects = readable_projects(user)
    return None if projects is None else ProjectFunding.objects.filter(project__in=projects)


def readable_batches(user: Any):
    """Batches of the cities the user holds a project role in (or under)."""
    if region_ids_for(user, READ_ROLES) is None:
        return None
    paths = list(RoleAssignment.objects.filter(user=user, role__in=READ_ROLES).values_list("region__path", flat=True))
    cities = [c.pk for c in Region.objects.filter(level=RegionLevel.CITY)
              if any(p.startswith(c.path) or c.path.startswith(p) for p in paths)]
    return AdjustmentBatch.objects.filter(city_id__in=cities)


register_audit_scope(RenewalProject, readable_projects)
register_audit_scope(ProjectFunding, readable_fundings)
register_audit_scope(AdjustmentBatch, readable_batches)

"""Field-level write rules of the check-up (城市体检字段级写权限), see :mod:`cityrenew.core.fieldrules`.

* 市级管理员 creates runs, local indicators, units and remediation tasks;
* 部门填报员 writes indicator values (only of its own tasks: :mod:`.services.permissions`);
* 调查员, 区级编辑 (inside their district) and 市级管理员 record field problems;
* statuses move only through their workflow: a task is 提交/退回/通过 by its buttons, a problem
  becomes 整治中 when it joins a remediation task or a project, a remediation task is marked 已整治
  by the city or its responsible department (:func:`.services.problems.set_remediation_status`).

It also says who may read the audit entries of check-up objects: a department user only the values,
tasks, reviews and evidence of its own departments' tasks.
"""

from __future__ import annotations

from typing import Any

from cityrenew.core.choices import Role
from cityrenew.core.fieldrules import register, register_audit_scope

from .models import (
    AssessmentUnit,
    CheckupRun,
    DepartmentTask,
    Evaluation,
    Evidence,
    FieldProblem,
    Indicator,
    IndicatorSet,
    IndicatorValue,
    ProblemPhoto,
    RemediationTask,
    TaskReview,
)

BY_TASK_WORKFLOW = "只能通过“提交”“退回”“通过”审核流程变更"
SYSTEM_SET = "由系统记录，不能填写"

register(
    CheckupRun,
    create={Role.CITY_ADMIN: {"city", "year", "indicator_set"}},
    update={Role.CITY_ADMIN: {"note"}},
    reasons={"status": "只能通过“评价”变更", "evaluated_at": SYSTEM_SET, "report_file": SYSTEM_SET},
)

register(
    IndicatorValue,
    create={Role.CITY_ADMIN: {"run", "indicator", "unit", "value", "note"},
            Role.DEPT_EDITOR: {"run", "indicator", "unit", "value", "note"}},
    update={Role.CITY_ADMIN: {"value", "note"}, Role.DEPT_EDITOR: {"value", "note"}},
    reasons={"task": "由所填指标确定", "source": SYSTEM_SET, "entered_by": SYSTEM_SET},
)

register(
    DepartmentTask,
    create={Role.CITY_ADMIN: {"run", "organisation", "department", "indicators"}},
    update={},
    reasons={"status": BY_TASK_WORKFLOW, "submitted_at": SYSTEM_SET, "reviewed_at": SYSTEM_SET,
             "return_reason": "只能在“退回”时由审核人填写"},
)

PROBLEM_FIELDS = {"run", "indicator", "sub_problem", "sub_problem_code", "unit", "severity", "description", "lon", "lat",
                  "suggestion"}
register(
    FieldProblem,
    create={Role.CITY_ADMIN: PROBLEM_FIELDS, Role.SURVEYOR: PROBLEM_FIELDS, Role.DISTRICT_EDITOR: PROBLEM_FIELDS},
    update={Role.CITY_ADMIN: {"severity", "description", "suggestion"}},
    labels={"sub_problem_code": "问题细项编码"},
    reasons={
        "status": "只能通过整治任务或更新项目变更（转为整治任务或生成项目时为“整治中”）",
        "project": "只能由市级管理员通过“生成项目”关联",
        "remediation_task": "只能由市级管理员通过“转为整治任务”关联",
        "recorded_by": SYSTEM_SET, "location": "由经纬度生成",
    },
)

register(
    RemediationTask,
    create={Role.CITY_ADMIN: {"run", "title", "organisation", "suggestion", "due_year"}},
    update={Role.CITY_ADMIN: {"title", "organisation", "suggestion", "due_year", "status"},
            Role.DEPT_EDITOR: {"status"}, Role.DEPT_REVIEWER: {"status"}},
    reasons={"project": "只能由市级管理员通过“生成项目”关联"},
)

INDICATOR_FIELDS = {"dimension", "group", "name", "unit", "direction", "method", "standard", "threshold", "comparator",
                    "department", "evidence", "definition", "source_document", "source_article"}
register(Indicator, create={Role.CITY_ADMIN: INDICATOR_FIELDS}, update={Role.CITY_ADMIN: INDICATOR_FIELDS | {"retired"}})

UNIT_FIELDS = {"kind", "name", "code", "city", "region", "parent", "geometry", "centroid_lon", "centroid_lat", "attributes",
               "source"}
register(AssessmentUnit, create={Role.CITY_ADMIN: UNIT_FIELDS, Role.DISTRICT_EDITOR: UNIT_FIELDS},
         update={Role.CITY_ADMIN: UNIT_FIELDS - {"code"}, Role.DISTRICT_EDITOR: UNIT_FIELDS - {"code", "city"}})


# --- who may read the audit entries of check-up objects --------------------------------------


def _department_scope(user: Any) -> tuple[list[int], list[int]] | None:
    """(task ids, indicator ids) a department user may read; None for users who read every run."""
    from cityrenew.core.permissions import _cache

    cache = _cache(user)
    if "checkup_department_scope" not in cache:
        cache["checkup_department_scope"] = _compute_department_scope(user)
    return cache["checkup_department_scope"]


def _compute_department_scope(user: Any) -> tuple[list[int], list[int]] | None:
    from .services.permissions import (
        is_department_user,
        visible_indicators,
        visible_tasks,
    )

    task_ids: list[int] = []
    indicator_ids: list[int] = []
    limited = False
    for run in CheckupRun.objects.select_related("city", "indicator_set"):
        if is_department_user(user, run):
            limited = True
        task_ids += list(visible_tasks(user, run).values_list("pk", flat=True))
        indicator_ids += list(visible_indicators(user, run).values_list("pk", flat=True))
    if not limited:
        return None
    return task_ids, indicator_ids


def _dept_users_only(user: Any) -> bool:
    return bool({Role.DEPT_EDITOR, Role.DEPT_REVIEWER} & set(_roles(user))) and not (
        {Role.CITY_ADMIN, Role.DISTRICT_EDITOR, Role.VIEWER, Role.SURVEYOR} & set(_roles(user))
    )


def _roles(user: Any) -> frozenset[str]:
    from cityrenew.core.fieldrules import roles_held

    return roles_held(user)


def readable_values(user: Any):
    scope = _department_scope(user)
    if scope is None:
        return None
    return IndicatorValue.objects.filter(indicator_id__in=scope[1])


def readable_tasks(user: Any):
    scope = _department_scope(user)
    return None if scope is None else DepartmentTask.objects.filter(pk__in=scope[0])


def readable_reviews(user: Any):
    scope = _department_scope(user)
    return None if scope is None else TaskReview.objects.filter(task_id__in=scope[0])


def readable_evidence(user: Any):
    scope = _department_scope(user)
    if scope is None:
        return None
    return Evidence.objects.filter(task_id__in=scope[0]) | Evidence.objects.filter(value__task_id__in=scope[0])


def readable_by_non_department(model):
    """Problems, remediation tasks, evaluations…: every signed-in user except pure department users
    (who read only their own tasks)."""

    def readable(user: Any):
        return model.objects.none() if _dept_users_only(user) else None

    return readable


def _everyone(user: Any) -> None:
    return None


register_audit_scope(IndicatorValue, readable_values)
register_audit_scope(DepartmentTask, readable_tasks)
register_audit_scope(TaskReview, readable_reviews)
register_audit_scope(Evidence, readable_evidence)
for _model in (IndicatorSet, Indicator, CheckupRun):
    register_audit_scope(_model, _everyone)
for _model in (AssessmentUnit, FieldProblem, ProblemPhoto, RemediationTask, Evaluation):
    register_audit_scope(_model, readable_by_non_department(_model))

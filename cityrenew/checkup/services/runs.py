"""Check-up runs (城市体检): tasks per responsible department, value entry, submit → review → accept,
completeness by department and dimension."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from cityrenew.core.audit import actor, current
from cityrenew.core.choices import OrganisationKind
from cityrenew.core.models import Organisation, Region

from ..choices import Department, Dimension, ReviewAction, RunStatus, TaskStatus, ValueSource
from ..models import AssessmentUnit, CheckupRun, DepartmentTask, Indicator, IndicatorSet, IndicatorValue, TaskReview, value_as_text
from .permissions import can_fill_task, can_manage_city, can_review_task


class CheckupError(Exception):
    """A check-up action was refused; ``str(exc)`` is the Chinese message for the user."""


def error_text(exc: Exception) -> str:
    """The Chinese message of a refusal: a ValidationError's messages joined, else ``str(exc)``."""
    if hasattr(exc, "messages"):
        return "；".join(str(m) for m in exc.messages)
    return str(exc)


def _ensure_actor(user: Any, source: str = "system"):
    """Use the surrounding audit context (web request, CLI) or attribute the work to ``user``."""
    ctx = current()
    if ctx.user is not None or ctx.request is not None:
        from contextlib import nullcontext

        return nullcontext()
    return actor(user, source)


def department_organisation(city: Region, department: str) -> Organisation:
    """The city's 行业部门 for ``department`` (e.g. 郑州市教育局), created if missing."""
    label = Department(department).label
    name = f"{city.name}{label}"
    org = Organisation.objects.filter(name=name).first()
    if org is None:
        org = Organisation(name=name, short_name=f"市{label}", kind=OrganisationKind.DEPARTMENT, region=city)
        org.save()
    return org


@transaction.atomic
def create_run(city: Region, year: int, indicator_set: IndicatorSet, user: Any = None,
               deadline: dt.date | None = None) -> CheckupRun:
    """Start the city's check-up for ``year``: one DepartmentTask per responsible department.

    Departments without an Organisation yet get one (kind 行业部门). Retired indicators are left out.
    ``deadline`` (填报截止日期) is given to every task; it can be changed per task afterwards.
    """
    if user is not None and not can_manage_city(user, city):
        raise CheckupError(f"只有{city.display_name}的市级管理员可以发起城市体检")
    if indicator_set.city_id and indicator_set.city_id != city.pk:
        raise CheckupError(f"指标体系“{indicator_set.code}”属于{indicator_set.city}，不能用于{city.display_name}")
    if CheckupRun.objects.filter(city=city, year=year).exists():
        raise CheckupError(f"{city.display_name}{year}年城市体检已存在")
    with _ensure_actor(user):
        run = CheckupRun(city=city, year=year, indicator_set=indicator_set, created_by=user)
        run.save()
        by_dept: dict[str, list[Indicator]] = OrderedDict()
        for ind in indicator_set.indicators.filter(retired=False).order_by("number"):
            by_dept.setdefault(ind.department or Department.HOUSING, []).append(ind)
        for dept, inds in by_dept.items():
            task = DepartmentTask(run=run, organisation=department_organisation(city, dept), department=dept,
                                  deadline=deadline)
            task.save()
            task.indicators.set(inds)
    return run


def units_for(run: CheckupRun, kind: str):
    return AssessmentUnit.objects.filter(city=run.city, kind=kind).order_by("code")


def expected_rows(task: DepartmentTask) -> list[tuple[Indicator, AssessmentUnit | None]]:
    """The rows a department fills: one per reported indicator, or per unit where reported per unit.

    Indicators computed by the system (problem counts, 问题整治完成率) have no rows.
    """
    rows: list[tuple[Indicator, AssessmentUnit | None]] = []
    for ind in task.indicators.filter(retired=False).order_by("number"):
        if ind.is_computed:
            continue
        units = list(units_for(task.run, ind.report_level)) if ind.report_level else []
        if units:
            rows += [(ind, u) for u in units]
        else:
            rows.append((ind, None))
    return rows


def check_value(indicator: Indicator, raw: Any) -> tuple[Decimal | None, str]:
    """Parse and range-check a typed value; returns (value, "") or (None, Chinese reason)."""
    if isinstance(raw, bool):
        return None, f"“{raw}”不是数字"
    if isinstance(raw, float):
        raw = repr(raw)
    text = str(raw).strip().replace(",", "").replace("，", "")
    pct = text.endswith("%")
    if pct:
        text = text[:-1].strip()
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None, f"“{raw}”不是数字"
    if not value.is_finite():
        return None, f"“{raw}”不是数字"
    if pct and not indicator.is_percentage:
        return None, f"{indicator.label}的计量单位是“{indicator.unit}”，不能填百分数“{raw}”"
    lo, hi = indicator.min_value, indicator.max_value
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        if indicator.is_percentage:
            rng = f"{value_as_text(lo)}～{value_as_text(hi)}"
            return None, f"{indicator.label}为百分比，数值应在{rng}之间，实际为{value_as_text(value)}"
        if hi is None:
            return None, f"{indicator.label}不能为负数，实际为{value_as_text(value)}"
        return None, f"{indicator.label}数值应在{value_as_text(lo)}～{value_as_text(hi)}之间，实际为{value_as_text(value)}"
    if value.as_tuple().exponent < -4:
        value = value.quantize(Decimal("0.0001"))
    return value, ""


@transaction.atomic
def set_value(task: DepartmentTask, indicator: Indicator, unit: AssessmentUnit | None, raw: Any, user: Any,
              note: str = "", expected_version: int | None = None) -> IndicatorValue:
    """Value entry on a page: the same checks as the Excel upload, for one value.

    ``expected_version``: the ``row_version`` the user saw; the update is conditional on it and
    raises :class:`~cityrenew.core.models.StaleObjectError` when someone saved in between.
    """
    if not can_fill_task(user, task):
        raise CheckupError(f"您不是“{task.organisation}”的填报人员，不能填报该任务")
    if not task.editable:
        raise CheckupError(f"任务状态为“{task.get_status_display()}”，不能修改数值")
    if not task.indicators.filter(pk=indicator.pk).exists():
        raise CheckupError(f"{indicator.label}不属于“{task.organisation}”的填报任务")
    if indicator.is_computed:
        raise CheckupError(f"{indicator.label}由系统根据{indicator.get_computation_display()[1:]}，不接受填报")
    if unit is not None and unit.city_id != task.run.city_id:
        raise CheckupError(f"体检单元“{unit.name}”不在{task.run.city.display_name}范围内")
    if indicator.report_level and unit is None and units_for(task.run, indicator.report_level).exists():
        raise CheckupError(f"{indicator.label}按{indicator.get_report_level_display()}逐个填报，请选择体检单元")
    value, err = check_value(indicator, raw)
    if err:
        raise CheckupError(err)
    with _ensure_actor(user, "web"):
        return _write_value(task, indicator, unit, value, note, user, ValueSource.REPORTED, expected_version)


def _write_value(task, indicator, unit, value, note, user, source, expected_version: int | None = None) -> IndicatorValue:
    obj = IndicatorValue.objects.filter(run=task.run if task else None, indicator=indicator, unit=unit).first()
    if obj is None:
        obj = IndicatorValue(run=task.run, indicator=indicator, unit=unit, task=task, value=value, note=note,
                             source=source, entered_by=user)
        obj.save()
        return obj
    obj.value, obj.note, obj.source, obj.task = value, note, source, task
    if user is not None:
        obj.entered_by = user
    if expected_version is not None:
        obj.row_version = expected_version  # conditional UPDATE: refused when someone saved since
    if obj.audit_diff() or expected_version is not None:
        obj.save()
    return obj


def missing_rows(task: DepartmentTask) -> list[tuple[Indicator, AssessmentUnit | None]]:
    have = set(IndicatorValue.objects.filter(run=task.run, indicator__in=task.indicators.all())
               .values_list("indicator_id", "unit_id"))
    return [(i, u) for i, u in expected_rows(task) if (i.pk, u.pk if u else None) not in have]


@transaction.atomic
def submit_task(task: DepartmentTask, user: Any) -> DepartmentTask:
    if not can_fill_task(user, task):
        raise CheckupError(f"您不是“{task.organisation}”的填报人员，不能提交该任务")
    if not task.editable:
        raise CheckupError(f"任务状态为“{task.get_status_display()}”，不能再次提交")
    missing = missing_rows(task)
    if missing:
        names = "、".join(f"指标{i.number}" + (f"（{u.name}）" if u else "") for i, u in missing[:10])
        more = f"等{len(missing)}项" if len(missing) > 10 else ""
        raise CheckupError(f"还有{len(missing)}项未填报，不能提交：{names}{more}")
    with _ensure_actor(user, "web"):
        task.status = TaskStatus.SUBMITTED
        task.submitted_at = timezone.now()
        task.submitted_by = user
        task.save()
        TaskReview(task=task, action=ReviewAction.SUBMIT, user=user).save()
    return task


@transaction.atomic
def return_task(task: DepartmentTask, user: Any, reason: str) -> DepartmentTask:
    """Send a submitted task back to the department; the reason is kept in the review history."""
    if not can_review_task(user, task):
        raise CheckupError("您没有审核该任务的权限")
    reason = (reason or "").strip()
    if not reason:
        raise CheckupError("退回时必须填写退回原因")
    if task.status != TaskStatus.SUBMITTED:
        raise CheckupError(f"任务状态为“{task.get_status_display()}”，只有已提交的任务可以退回")
    with _ensure_actor(user, "web"):
        task.status = TaskStatus.RETURNED
        task.return_reason = reason
        task.reviewed_at = timezone.now()
        task.reviewed_by = user
        task.save()
        TaskReview(task=task, action=ReviewAction.RETURN, user=user, reason=reason).save()
    return task


@transaction.atomic
def accept_task(task: DepartmentTask, user: Any, comment: str = "") -> DepartmentTask:
    if not can_review_task(user, task):
        raise CheckupError("您没有审核该任务的权限")
    if task.status != TaskStatus.SUBMITTED:
        raise CheckupError(f"任务状态为“{task.get_status_display()}”，只有已提交的任务可以审核通过")
    with _ensure_actor(user, "web"):
        task.status = TaskStatus.ACCEPTED
        task.reviewed_at = timezone.now()
        task.reviewed_by = user
        task.save()
        TaskReview(task=task, action=ReviewAction.ACCEPT, user=user, reason=comment).save()
    return task


@transaction.atomic
def set_task_deadline(task: DepartmentTask, user: Any, deadline: dt.date | None) -> DepartmentTask:
    """Change one task's 填报截止日期 (city admins only)."""
    if not can_manage_city(user, task.run.city):
        raise CheckupError(f"只有{task.run.city.display_name}的市级管理员可以调整填报截止日期")
    with _ensure_actor(user, "web"):
        task.deadline = deadline
        task.save()
    return task


def complete_run(run: CheckupRun, user: Any = None) -> CheckupRun:
    run.status = RunStatus.COMPLETED
    run.save()
    return run


def completeness(run: CheckupRun) -> dict[str, Any]:
    """How much of the run is filled, by department and by dimension.

    A reported indicator is complete when it has a city value or all its unit rows are filled;
    indicators the system computes (problem counts, 问题整治完成率) count as complete.
    """
    values = set(IndicatorValue.objects.filter(run=run).values_list("indicator_id", "unit_id"))
    ind_with_value = {i for i, _ in values}
    departments = []
    for task in run.tasks.select_related("organisation").order_by("organisation__name"):
        rows = expected_rows(task)
        filled = sum(1 for i, u in rows if (i.pk, u.pk if u else None) in values)
        departments.append({
            "task": task,
            "organisation": str(task.organisation),
            "status": task.get_status_display(),
            "indicators": task.indicators.count(),
            "expected": len(rows),
            "filled": filled,
            "percent": round(100 * filled / len(rows), 1) if rows else 100.0,
        })
    unit_counts: dict[str, int] = {}
    dims = []
    inds = list(run.indicator_set.indicators.filter(retired=False).order_by("number"))
    for dim, label in Dimension.choices:
        members = [i for i in inds if i.dimension == dim]
        done = 0
        for i in members:
            if i.is_computed:
                done += 1
            elif i.report_level:
                n = unit_counts.setdefault(i.report_level, units_for(run, i.report_level).count())
                got = sum(1 for ii, u in values if ii == i.pk and u is not None)
                if (n and got >= n) or (not n and i.pk in ind_with_value):
                    done += 1
            elif (i.pk, None) in values:
                done += 1
        dims.append({"dimension": dim, "label": label, "total": len(members), "complete": done,
                     "percent": round(100 * done / len(members), 1) if members else 100.0})
    total = sum(d["total"] for d in dims)
    complete = sum(d["complete"] for d in dims)
    return {"departments": departments, "dimensions": dims, "total": total, "complete": complete,
            "percent": round(100 * complete / total, 1) if total else 100.0}

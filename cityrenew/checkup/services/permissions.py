"""Who may do what in a check-up (城市体检权限), written once for pages, API, imports and the CLI.

* 市级管理员 (city_admin over the city) and superusers manage runs, fill any task and review.
* 部门填报员 (dept_editor) fills only the tasks of its own organisation (RoleAssignment.organisation)
  and sees only those tasks and indicators.
* 部门审核员 (dept_reviewer) reviews the tasks of its organisation; a reviewer of the city authority
  (an organisation that is not a 行业部门, or none) reviews every task of the city.
* 调查员 (surveyor), district editors inside their district and city admins record field problems.
* Everyone else who is logged in reads.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from cityrenew.core.choices import OrganisationKind, Role
from cityrenew.core.models import Region, RoleAssignment
from cityrenew.core.permissions import region_ids_for

from ..models import AssessmentUnit, CheckupRun, DepartmentTask, Indicator


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _assignments(user: Any, role: str, city: Region) -> list[RoleAssignment]:
    """Role rows of ``user`` whose region contains ``city`` (or lies inside it)."""
    if not _authenticated(user):
        return []
    rows = RoleAssignment.objects.filter(user=user, role=role).select_related("region", "organisation")
    return [ra for ra in rows if city.path.startswith(ra.region.path) or ra.region.path.startswith(city.path)]


def can_manage_city(user: Any, city: Region) -> bool:
    """City admin (or superuser): create runs, generate tasks, evaluate, turn problems into projects."""
    if not _authenticated(user):
        return False
    if user.is_superuser:
        return True
    ids = region_ids_for(user, [Role.CITY_ADMIN])
    return ids is None or city.pk in ids


def can_view_run(user: Any, run: CheckupRun) -> bool:
    return _authenticated(user)


def can_fill_task(user: Any, task: DepartmentTask) -> bool:
    if can_manage_city(user, task.run.city):
        return True
    return any(ra.organisation_id == task.organisation_id for ra in _assignments(user, Role.DEPT_EDITOR, task.run.city))


def can_review_task(user: Any, task: DepartmentTask) -> bool:
    if can_manage_city(user, task.run.city):
        return True
    for ra in _assignments(user, Role.DEPT_REVIEWER, task.run.city):
        if ra.organisation_id is None or ra.organisation.kind != OrganisationKind.DEPARTMENT:
            return True
        if ra.organisation_id == task.organisation_id:
            return True
    return False


def is_department_user(user: Any, run: CheckupRun) -> bool:
    """A 部门填报员 without city-wide rights: sees only its own tasks."""
    if can_manage_city(user, run.city):
        return False
    return bool(_assignments(user, Role.DEPT_EDITOR, run.city))


def visible_tasks(user: Any, run: CheckupRun) -> QuerySet[DepartmentTask]:
    """Tasks ``user`` may see: department users their own organisation's tasks, others all."""
    qs = run.tasks.select_related("organisation").order_by("organisation__name")
    if not _authenticated(user):
        return qs.none()
    if is_department_user(user, run):
        orgs = {ra.organisation_id for ra in _assignments(user, Role.DEPT_EDITOR, run.city)}
        orgs |= {ra.organisation_id for ra in _assignments(user, Role.DEPT_REVIEWER, run.city)}
        return qs.filter(organisation_id__in=[o for o in orgs if o])
    return qs


def fillable_tasks(user: Any, run: CheckupRun) -> QuerySet[DepartmentTask]:
    ids = [t.pk for t in run.tasks.select_related("run__city") if can_fill_task(user, t)]
    return run.tasks.filter(pk__in=ids)


def visible_indicators(user: Any, run: CheckupRun) -> QuerySet[Indicator]:
    """Indicators ``user`` may see values of: a department user only its tasks' indicators."""
    qs = run.indicator_set.indicators.filter(retired=False)
    if is_department_user(user, run):
        return qs.filter(tasks__in=visible_tasks(user, run)).distinct()
    return qs


def fillable_indicators(user: Any, run: CheckupRun) -> QuerySet[Indicator]:
    return run.indicator_set.indicators.filter(retired=False, tasks__in=fillable_tasks(user, run)).distinct()


def can_record_problems(user: Any, run: CheckupRun, unit: AssessmentUnit | None = None) -> bool:
    """Surveyors of the city, district editors inside their district, city admins."""
    if can_manage_city(user, run.city):
        return True
    if _assignments(user, Role.SURVEYOR, run.city):
        return True
    if unit is not None:
        ids = region_ids_for(user, [Role.DISTRICT_EDITOR])
        return ids is None or unit.region_id in ids
    return False


# --- attachments (served by core's /media/ view, registered in CheckupConfig.ready) ------------------

def can_read_evidence_file(user: Any, name: str) -> bool | None:
    """佐证材料 ``name`` (path under MEDIA_ROOT): readable by whoever may see its task (a department
    user only its own department's); None when no evidence row holds that file."""
    from ..models import Evidence

    ev = Evidence.objects.filter(file=name).select_related("task__run__city", "value__run").first()
    if ev is None:
        return None
    if ev.task_id is not None:
        return visible_tasks(user, ev.task.run).filter(pk=ev.task_id).exists()
    return ev.value_id is not None and can_view_run(user, ev.value.run)


def can_read_photo_file(user: Any, name: str) -> bool | None:
    """问题照片 ``name``: readable by whoever may read the problem's run; None when no photo row holds it."""
    from ..models import ProblemPhoto

    photo = ProblemPhoto.objects.filter(image=name).select_related("problem__run").first()
    if photo is None:
        return None
    return can_view_run(user, photo.problem.run)

"""The check-up's items in 我的待办 (see :mod:`cityrenew.core.inbox`).

* 待填报 — open tasks of the organisations the user fills for (部门填报员), in runs still in progress;
* 已退回 — those of them a reviewer sent back, with the reason;
* 已提交（审核中） — those of them submitted and waiting for review (shown, not counted);
* 待审核 — submitted tasks the user may review (部门审核员 of the organisation or of the city
  authority, 市级管理员), the same rule as :func:`services.permissions.can_review_task`.
"""

from __future__ import annotations

from typing import Any, Iterator

from django.db.models import Count

from cityrenew.core import inbox
from cityrenew.core.choices import InboxGroup, OrganisationKind, Role
from cityrenew.core.inbox import InboxItem
from cityrenew.core.models import Region, RoleAssignment
from cityrenew.core.permissions import region_ids_for, roles_of

from .choices import RunStatus, TaskStatus
from .models import DepartmentTask


# A filler's own task by status → its inbox group (accepted tasks leave the inbox).
GROUP_OF_OWN_TASK = {
    TaskStatus.PENDING: InboxGroup.TO_FILL,
    TaskStatus.RETURNED: InboxGroup.RETURNED,
    TaskStatus.SUBMITTED: InboxGroup.SUBMITTED,
}


def _covers(ra: RoleAssignment, city: Region) -> bool:
    return city.path.startswith(ra.region.path) or ra.region.path.startswith(city.path)


def _item(group: str, task: DepartmentTask) -> InboxItem:
    run = task.run
    return InboxItem(
        group=group, title=f"{task.organisation.name} · {run.city.display_name}{run.year}年城市体检",
        url=task.get_absolute_url(), detail=f"部门填报任务，{task.n_indicators}项指标",
        deadline=task.deadline, reason=task.return_reason if task.status == TaskStatus.RETURNED else "",
        status=task.get_status_display(),
    )


@inbox.register("checkup")
def department_tasks(user: Any) -> Iterator[InboxItem]:
    tasks = (DepartmentTask.objects.filter(run__status=RunStatus.IN_PROGRESS)
             .select_related("run__city", "organisation").annotate(n_indicators=Count("indicators")))
    roles = roles_of(user)  # read once per request (the navigation badge asks on every page)
    fills = [ra for ra in roles if ra.role == Role.DEPT_EDITOR and ra.organisation_id is not None]
    if fills:
        mine = tasks.filter(organisation_id__in={ra.organisation_id for ra in fills},
                            status__in=list(GROUP_OF_OWN_TASK))
        for task in mine:
            if any(ra.organisation_id == task.organisation_id and _covers(ra, task.run.city) for ra in fills):
                yield _item(GROUP_OF_OWN_TASK[task.status], task)
    admin_ids = region_ids_for(user, [Role.CITY_ADMIN])
    reviews = [ra for ra in roles if ra.role == Role.DEPT_REVIEWER]
    if admin_ids is not None and not admin_ids and not reviews:
        return
    for task in tasks.filter(status=TaskStatus.SUBMITTED):
        city = task.run.city
        if admin_ids is None or city.pk in admin_ids or any(
            _covers(ra, city) and (ra.organisation_id is None or ra.organisation.kind != OrganisationKind.DEPARTMENT
                                   or ra.organisation_id == task.organisation_id)
            for ra in reviews
        ):
            yield _item(InboxGroup.TO_REVIEW, task)

"""Navigation that fits the role (按角色的导航).

Each menu entry names the audiences that see it. A user's audiences come from its roles:

* ``admin`` — 市级管理员 and superusers: everything;
* ``district`` — 区级编辑: the project library, its own district, the check-up (field problems);
* ``department`` — 部门填报员/部门审核员: 我的待办, the check-up pages; not the project library;
* ``field`` — 调查员: the check-up;
* ``reader`` — 只读用户, or a user without roles: the read-only pages;
* ``entity`` — 实施主体填报员: 我的待办, its implementation plans, the policy library.

A user with several roles sees the union. Department-only users land on 我的待办 after login.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .choices import Role

ADMIN, DISTRICT, DEPARTMENT, FIELD, READER, ENTITY = "admin", "district", "department", "field", "reader", "entity"
ALL = frozenset({ADMIN, DISTRICT, DEPARTMENT, FIELD, READER, ENTITY})
AUDIENCE_BY_ROLE = {
    Role.CITY_ADMIN: ADMIN, Role.DISTRICT_EDITOR: DISTRICT, Role.DEPT_EDITOR: DEPARTMENT,
    Role.DEPT_REVIEWER: DEPARTMENT, Role.SURVEYOR: FIELD, Role.VIEWER: READER,
    Role.ENTITY_EDITOR: ENTITY,
}


@dataclass(frozen=True)
class NavEntry:  # 导航项
    url_name: str
    label: str | Promise
    audiences: frozenset[str]
    inbox: bool = False  # carries the 我的待办 count


NAV = [
    NavEntry("home", _("工作台"), frozenset({ADMIN, DISTRICT, FIELD, READER})),
    NavEntry("core:inbox", _("我的待办"), ALL, inbox=True),
    NavEntry("projects:project_list", _("项目库"), frozenset({ADMIN, DISTRICT, READER})),
    NavEntry("projects:summary", _("汇总表"), frozenset({ADMIN, DISTRICT, READER})),
    NavEntry("plans:plan_list", _("实施方案"), frozenset({ADMIN, DISTRICT, ENTITY, READER})),
    NavEntry("review:record_list", _("联合审查"), frozenset({ADMIN, DISTRICT, DEPARTMENT, READER})),
    NavEntry("notices:notice_list", _("公示管理"), frozenset({ADMIN, DISTRICT, ENTITY, READER})),
    NavEntry("funding:fundingline_list", _("资金"), frozenset({ADMIN, DISTRICT, READER, ENTITY})),
    NavEntry("reports:report_list", _("报送与统计"), frozenset({ADMIN, READER})),
    NavEntry("ledgers:index", _("台账"), frozenset({ADMIN, DISTRICT, READER})),
    NavEntry("lifeline:dashboard", _("城市生命线"), frozenset({ADMIN, DISTRICT, DEPARTMENT, READER})),
    NavEntry("checkup:dashboard", _("城市体检"), ALL),
    NavEntry("map:page", _("一张图"), frozenset({ADMIN, DISTRICT, FIELD, READER})),
    NavEntry("policies:list", _("政策库"), ALL),
    NavEntry("core:region_list", _("行政区划"), frozenset({ADMIN, READER})),
    NavEntry("jobs:list", _("后台任务"), frozenset({ADMIN, DISTRICT})),
    NavEntry("core:audit_list", _("审计日志"), frozenset({ADMIN, DISTRICT, READER})),
]
API_AUDIENCES = frozenset({ADMIN, DISTRICT, READER})


def audiences(user: Any, roles: list | None = None) -> frozenset[str]:
    """The audiences of ``user`` (``roles``: its RoleAssignment rows, if already loaded)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if user.is_superuser:
        return frozenset({ADMIN})
    if roles is None:
        from .permissions import roles_of

        roles = roles_of(user)
    found = {AUDIENCE_BY_ROLE[r.role] for r in roles if r.role in AUDIENCE_BY_ROLE}
    return frozenset(found or {READER})


def is_department_only(user: Any, roles: list | None = None) -> bool:
    """A 部门 user with no other role: sees its inbox and the check-up, not the project library."""
    return audiences(user, roles) == {DEPARTMENT}


def menu(user: Any, roles: list, inbox_count: int) -> list[tuple[str, Any, int]]:
    """``(href, label, count)`` rows of the top navigation for ``user``."""
    mine = audiences(user, roles)
    rows: list[tuple[str, Any, int]] = []
    for entry in NAV:
        if mine & entry.audiences:
            rows.append((reverse(entry.url_name), entry.label, inbox_count if entry.inbox else 0))
        if entry.url_name == "map:page" and DISTRICT in mine and ADMIN not in mine:
            # a district editor's own district(s), right after the project pages
            for r in roles:
                if r.role == Role.DISTRICT_EDITOR:
                    rows.append((reverse("core:region_detail", args=[r.region_id]), r.region.name, 0))
    return rows

"""Template context shared by every page: the navigation and the user's roles."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

NAV = [
    ("home", "工作台"),
    ("projects:project_list", "项目库"),
    ("projects:summary", "汇总表"),
    ("projects:map", "一张图"),
    ("checkup:dashboard", "城市体检"),
    ("core:region_list", "行政区划"),
    ("core:audit_list", "审计日志"),
    ("core:policy_list", "政策依据"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    from . import permissions

    user = getattr(request, "user", None)
    return {
        "nav_items": NAV,
        "user_roles": permissions.roles_of(user) if user is not None else [],
    }

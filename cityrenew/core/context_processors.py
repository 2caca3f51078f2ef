"""Template context shared by every page: the navigation and the user's roles."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

NAV = [
    ("home", _("工作台")),
    ("projects:project_list", _("项目库")),
    ("projects:summary", _("汇总表")),
    ("projects:map", _("一张图")),
    ("checkup:dashboard", _("城市体检")),
    ("core:region_list", _("行政区划")),
    ("core:audit_list", _("审计日志")),
    ("core:policy_list", _("政策依据")),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    from . import permissions

    user = getattr(request, "user", None)
    return {
        "nav_items": NAV,
        "user_roles": permissions.roles_of(user) if user is not None else [],
    }

"""Template context shared by every page: the navigation for the user's roles and the inbox count."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    from . import inbox, navigation as nav, permissions

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_roles": [], "nav_api": False, "inbox_count": 0}
    roles = permissions.roles_of(user)
    count = inbox.count_for(user)
    return {
        "nav_items": nav.menu(user, roles, count),
        "nav_api": bool(nav.audiences(user, roles) & nav.API_AUDIENCES),
        "user_roles": roles,
        "inbox_count": count,
    }

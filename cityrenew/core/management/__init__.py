"""What the apps' management commands share."""

from __future__ import annotations

from typing import Any


def user_of(opts: dict[str, Any]) -> Any:
    """The ``--user`` option's user, or None; a Chinese CommandError when there is no such user."""
    from django.contrib.auth import get_user_model
    from django.core.management.base import CommandError

    if not opts.get("user"):
        return None
    user = get_user_model().objects.filter(username=opts["user"]).first()
    if user is None:
        raise CommandError(f"用户不存在：{opts['user']}")
    return user

"""我的待办 (inbox): what waits for the current user, contributed by the apps.

A registry in the NetBox manner: each app registers a provider — a function of the user that
returns :class:`InboxItem` rows — from its ``AppConfig.ready()``::

    from cityrenew.core import inbox

    @inbox.register("checkup")
    def tasks(user):
        yield InboxItem(group=InboxGroup.TO_FILL, title=..., url=..., deadline=...)

The inbox page lists the items grouped 待填报 / 待审核 / 已退回 / 已提交（审核中）, each group sorted by
deadline (items without one last); the navigation badge counts the items that wait for the user
(not those in :data:`~cityrenew.core.choices.INBOX_INFO_GROUPS`, which wait for someone else).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from django.utils import timezone

from .choices import INBOX_INFO_GROUPS, InboxGroup

Provider = Callable[[Any], Iterable["InboxItem"]]

_providers: dict[str, Provider] = {}


@dataclass(frozen=True)
class InboxItem:  # 待办事项
    group: str  # InboxGroup
    title: str
    url: str
    detail: str = ""  # one line under the title (city, year, what to do)
    deadline: dt.date | None = None
    reason: str = ""  # 退回原因 for returned items
    status: str = ""  # the object's status label

    @property
    def overdue(self) -> bool:
        return self.deadline is not None and self.deadline < timezone.localdate()

    @property
    def days_left(self) -> int | None:
        return None if self.deadline is None else (self.deadline - timezone.localdate()).days


def register(name: str) -> Callable[[Provider], Provider]:
    """Register ``provider`` under ``name`` (registering the same name again replaces it)."""

    def deco(provider: Provider) -> Provider:
        _providers[name] = provider
        return provider

    return deco


def providers() -> dict[str, Provider]:
    return dict(_providers)


def _sort_key(item: InboxItem) -> tuple:
    return (item.deadline is None, item.deadline or dt.date.max, item.title)


def items_for(user: Any) -> dict[str, list[InboxItem]]:
    """The user's items by group (every group present, in InboxGroup order), sorted by deadline."""
    groups: dict[str, list[InboxItem]] = {g: [] for g in InboxGroup.values}
    if not getattr(user, "is_authenticated", False):
        return groups
    for provider in _providers.values():
        for item in provider(user):
            groups[item.group].append(item)
    for items in groups.values():
        items.sort(key=_sort_key)
    return groups


def count_for(user: Any, groups: dict[str, list[InboxItem]] | None = None) -> int:
    """How many items wait for ``user`` (the navigation badge), cached on the user for one request;
    ``groups``: the user's :func:`items_for`, when the caller has them already (the inbox page)."""
    cached = getattr(user, "_cityrenew_inbox_count", None)
    if cached is None:
        groups = items_for(user) if groups is None else groups
        cached = sum(len(v) for g, v in groups.items() if g not in INBOX_INFO_GROUPS)
        try:
            user._cityrenew_inbox_count = cached
        except AttributeError:
            pass
    return cached

"""Who acts on a central-fund application (申报与遴选的角色).

* ``city`` — a 市级管理员 whose scope holds the application's city (the city's government prepares it);
* ``province`` — a 市级管理员 assigned at the city's province (省级财政、住房城乡建设部门, 三、（一）); for a
  直辖市 the city's own 市级管理员 (直辖市可由城市政府有关部门直接申报);
* ``ministry`` — the national side (财政部、住房城乡建设部: review, defence, publicity, funding): the
  region tree has no national level, so a superuser.

Readers: the three above, and any user with a role over the city, one of its districts or its province.
"""

from __future__ import annotations

from typing import Any

from cityrenew.core.choices import RegionLevel, Role
from cityrenew.core.permissions import roles_of

CITY, PROVINCE, MINISTRY = "city", "province", "ministry"


def actors_of(application: Any, user: Any) -> set[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser:
        return {CITY, PROVINCE, MINISTRY}
    city = application.city
    found: set[str] = set()
    for ra in roles_of(user):
        if ra.role != Role.CITY_ADMIN or not city.path.startswith(ra.region.path):
            continue
        if ra.region.level == RegionLevel.PROVINCE:
            found.add(PROVINCE)
        else:
            found.add(CITY)
    if CITY in found and application.is_municipality:
        found.add(PROVINCE)
    return found


def can_read(application: Any, user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    path = application.city.path
    return any(path.startswith(ra.region.path) or ra.region.path.startswith(path) for ra in roles_of(user))


def is_ministry(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False))


def can_read_rounds(user: Any) -> bool:
    """The selection rounds and their scores: the ministry and the 市级管理员 of provinces and cities
    (the recommending and applying governments), not district or read-only users."""
    return can_edit_caps(user)


def can_edit_caps(user: Any) -> bool:
    """The province → region table: a 市级管理员 or a superuser (audited)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or any(ra.role == Role.CITY_ADMIN for ra in roles_of(user))


def readable_applications(user: Any):
    from .models import Application

    qs = Application.objects.select_related("city", "city__parent")
    if getattr(user, "is_superuser", False):
        return qs
    ids = [a.pk for a in qs if can_read(a, user)]
    return qs.filter(pk__in=ids)


def can_read_file(user: Any, name: str) -> bool | None:
    from .models import ApplicationFile

    f = ApplicationFile.objects.filter(file=name).select_related("application__city").first()
    if f is None:
        return None
    return can_read(f.application, user)

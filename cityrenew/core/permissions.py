"""Region-scoped permissions (按区划授权).

A user's roles are :class:`~cityrenew.core.models.RoleAssignment` rows. A 市级管理员 edits
everything under the city region; a 区级编辑 edits only what lies under its district region; a
只读用户 edits nothing. Superusers edit everything. Every page, API endpoint and import asks these
functions, so the rule is written once.
"""

from __future__ import annotations

from typing import Any, Iterable

from django.db.models import Q, QuerySet

from .choices import EDITOR_ROLES, Role
from .models import Region, RoleAssignment


def _cache(user: Any) -> dict:
    cache = getattr(user, "_cityrenew_perm_cache", None)
    if cache is None:
        cache = {}
        try:
            user._cityrenew_perm_cache = cache
        except AttributeError:
            pass
    return cache


def region_ids_for(user: Any, roles: Iterable[str]) -> set[int] | None:
    """Ids of the regions (with all their descendants) where ``user`` holds one of ``roles``.

    ``None`` means "no limit" (superuser). An anonymous user gets the empty set.
    """
    if not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser:
        return None
    key = ("regions", frozenset(roles))
    cache = _cache(user)
    if key not in cache:
        wanted = set(roles)
        paths = [ra.region.path for ra in roles_of(user) if ra.role in wanted]
        if not paths:
            cache[key] = set()
        else:
            q = Q()
            for p in paths:
                q |= Q(path__startswith=p)
            cache[key] = set(Region.objects.filter(q).values_list("id", flat=True))
    return cache[key]


def editable_region_ids(user: Any) -> set[int] | None:
    return region_ids_for(user, EDITOR_ROLES)


def can_edit_any(user: Any) -> bool:
    ids = editable_region_ids(user)
    return ids is None or bool(ids)


def can_edit_regions(user: Any, region_ids: Iterable[int]) -> bool:
    """True when ``user`` may change an object that belongs to all of ``region_ids``."""
    ids = editable_region_ids(user)
    if ids is None:
        return True
    wanted = set(region_ids)
    return bool(wanted) and wanted <= ids


def has_role(user: Any, role: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return RoleAssignment.objects.filter(user=user, role=role).exists()


def is_city_admin(user: Any) -> bool:
    return has_role(user, Role.CITY_ADMIN)


def roles_of(user: Any) -> list[RoleAssignment]:
    """The user's role assignments (with region and organisation), read once per request like the scopes above."""
    if not getattr(user, "is_authenticated", False):
        return []
    cache = _cache(user)
    if "roles" not in cache:
        cache["roles"] = list(RoleAssignment.objects.filter(user=user).select_related("region", "organisation"))
    return list(cache["roles"])


def visible_audit(user: Any, qs: QuerySet | None = None) -> QuerySet:
    """The audit entries of ``qs`` that ``user`` may read: only those of objects the user may read.

    Each app registers who may read its models (``register_audit_scope`` in ``<app>/fieldrules.py``):
    a department user reads only its own departments' values and tasks, a district user only the
    projects of its districts. Entries of models no app registered are for 市级管理员 only. The audit
    page, its xlsx export, ``/api/audit/`` and every object's history all ask this function.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import CharField
    from django.db.models.functions import Cast

    from .fieldrules import audit_scopes
    from .models import AuditLog

    qs = AuditLog.objects.all() if qs is None else qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_superuser:
        return qs
    allowed = Q(pk__in=[])
    known: list[int] = []
    for label, readable in audit_scopes().items():
        app_label, model_name = label.split(".")
        ct = ContentType.objects.get_by_natural_key(app_label, model_name)
        known.append(ct.pk)
        scope = readable(user)
        if scope is None:
            allowed |= Q(content_type=ct)
        else:
            keys = scope.order_by().annotate(_audit_key=Cast("pk", CharField())).values("_audit_key")
            allowed |= Q(content_type=ct, object_id__in=keys)
    if is_city_admin(user):
        allowed |= ~Q(content_type_id__in=known)
    return qs.filter(allowed)


def visible_history(user: Any, obj: Any) -> QuerySet:
    """``obj``'s change history as ``user`` may read it, newest first: what every object page shows."""
    from .models import AuditLog

    return visible_audit(user, AuditLog.for_object(obj).select_related("content_type"))

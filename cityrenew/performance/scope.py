"""Who may read and write performance records (绩效的读写范围).

Writing: the region scope of :mod:`cityrenew.core.permissions` — a city's target tables and evaluations by whoever
edits the whole city (市级管理员), a residents' evaluation by whoever edits its district. Reading: anyone with a role
over the city, over a region inside it (a 区级编辑 reads its city's targets) or above it (a province's 只读用户 reads
every city under the province).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from cityrenew.core.models import Region
from cityrenew.core.permissions import roles_of


def readable_region_q(user: Any, field: str) -> Q | None:
    """A filter on ``field`` (a Region foreign key; "" for Region rows themselves) for the regions ``user`` may read (None: every one)."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if user.is_superuser:
        return None
    paths = {ra.region.path for ra in roles_of(user)}
    if not paths:
        return Q(pk__in=[])
    prefix = f"{field}__" if field else ""
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(**{f"{prefix}path__startswith": p})  # the role's region and everything under it
        ancestors = [a.pk for a in Region.objects.filter(path__in=_prefixes(p))]
        q |= Q(**{f"{field or 'pk'}__in": ancestors})  # the regions above it (a district user reads its city's tables)
    return q


def _prefixes(path: str) -> list[str]:
    parts = [x for x in path.split("/") if x]
    lead = "/" if path.startswith("/") else ""
    trail = "/" if path.endswith("/") else ""
    return [lead + "/".join(parts[:i]) + trail for i in range(1, len(parts))]


def readable(user: Any, qs: QuerySet, field: str) -> QuerySet:
    q = readable_region_q(user, field)
    return qs if q is None else qs.filter(q)


def can_read(user: Any, obj: Any) -> bool:
    """May ``user`` read ``obj`` (a table, a row of one, an evaluation, a residents' evaluation)?"""
    from .models import Evaluation, ResidentEvaluation, TargetTable

    if isinstance(obj, (TargetTable, Evaluation)):
        return readable(user, type(obj).objects.filter(pk=obj.pk), "city").exists()
    if isinstance(obj, ResidentEvaluation):
        return readable(user, ResidentEvaluation.objects.filter(pk=obj.pk), "region").exists()
    table = obj.target_table() if hasattr(obj, "target_table") else getattr(obj, "owner", None)
    return table is not None and can_read(user, table)


def can_read_file(user: Any, name: str) -> bool | None:
    """An uploaded file under ``performance/``: readable by whoever may read what it belongs to."""
    from .models import Evidence, TargetTable

    ev = Evidence.objects.filter(file=name).first()
    if ev is not None:
        return can_read(user, ev.owner)
    table = TargetTable.objects.filter(sealed_scan=name).first()
    if table is not None:
        return can_read(user, table)
    return None

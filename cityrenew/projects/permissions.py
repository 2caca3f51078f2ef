"""Who may change which project (按区划授权), written once for pages, API and imports.

A project belongs to all of its districts: an editor may change it only when every one of its
districts lies inside the editor's regions — so a 中原区 editor cannot edit 金水河“一河两岸”项目,
which spans 中原区/二七区/金水区.
"""

from __future__ import annotations

from typing import Any, Iterable

from django.db.models import Exists, OuterRef, QuerySet

from cityrenew.core.models import Region
from cityrenew.core.permissions import can_edit_regions, editable_region_ids

from .models import RenewalProject

ProjectDistrict = RenewalProject.districts.through


def _district_ids(project: RenewalProject) -> list[int]:
    if project.pk is None:
        return []
    cache = getattr(project, "_prefetched_objects_cache", {})
    if "districts" in cache:
        return [r.pk for r in cache["districts"]]
    return list(ProjectDistrict.objects.filter(renewalproject_id=project.pk).values_list("region_id", flat=True))


def can_edit_project(user: Any, project: RenewalProject) -> bool:
    """True when ``user`` may edit or delete ``project`` (all its districts are in the user's scope)."""
    ids = _district_ids(project)
    if not ids:  # a project without districts: only unlimited users (superusers) or city-wide editors
        scope = editable_region_ids(user)
        return scope is None or (project.city_id is not None and project.city_id in scope)
    return can_edit_regions(user, ids)


def editable_projects(user: Any, qs: QuerySet[RenewalProject] | None = None) -> QuerySet[RenewalProject]:
    """The projects of ``qs`` that ``user`` may edit: no district outside the user's regions."""
    qs = RenewalProject.objects.all() if qs is None else qs
    scope = editable_region_ids(user)
    if scope is None:
        return qs
    if not scope:
        return qs.none()
    outside = ProjectDistrict.objects.filter(renewalproject_id=OuterRef("pk")).exclude(region_id__in=scope)
    inside = ProjectDistrict.objects.filter(renewalproject_id=OuterRef("pk"))
    return qs.filter(Exists(inside)).exclude(Exists(outside))


def can_create_in(user: Any, districts: Iterable[Region | int]) -> bool:
    """True when ``user`` may create a project in all of ``districts``."""
    ids = [d.pk if isinstance(d, Region) else int(d) for d in districts]
    return can_edit_regions(user, ids)


def denial_message(project: RenewalProject | None = None) -> str:
    if project is None:
        return "无权在所选区域新建项目：只能在本人负责的区域内新建。"
    return f"无权修改项目 {project.code}：该项目所在区域超出您的编辑范围。"

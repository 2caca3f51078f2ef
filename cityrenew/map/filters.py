"""Filter helpers for layer declarations: parse a query-string value with a Chinese message, and the
usual choices (districts of the default city, years)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from cityrenew.core.choices import RegionLevel
from cityrenew.core.models import Region

from .registry import FILTERS


def int_value(value: str, name: str) -> int:
    """``value`` as an integer, or ``ValueError`` naming the filter (“筛选条件「年份」应为整数”)."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise ValueError(f"筛选条件「{FILTERS.get(name, name)}」应为整数（收到“{value}”）") from exc


def choice_value(value: str, name: str, choices: Any) -> str:
    """``value`` if it is one of ``choices`` (a TextChoices), else ``ValueError`` listing the valid ones."""
    valid = [v for v, _ in choices]
    if value not in valid:
        labels = "、".join(f"{v}（{label}）" for v, label in choices)
        raise ValueError(f"筛选条件「{FILTERS.get(name, name)}」的值“{value}”无效，应为：{labels}")
    return value


def choice_filter(field: str, name: str, choices: Any) -> Callable[[QuerySet, str], QuerySet]:
    return lambda qs, value: qs.filter(**{field: choice_value(value, name, choices)})


def choice_options(choices: Any) -> Callable[[Any], list[tuple[str, str]]]:
    return lambda request: [(v, str(label)) for v, label in choices]


def district_options(request: Any) -> list[tuple[str, str]]:
    """The districts and development zones of the default city, as the project library lists them."""
    city = Region.objects.filter(level=RegionLevel.CITY).order_by("code").first()
    qs = Region.objects.filter(level=RegionLevel.DISTRICT)
    if city is not None:
        qs = qs.filter(path__startswith=city.path)
    return [(str(r.pk), r.display_name) for r in qs.order_by("order", "code")]


def district_ids(value: str) -> list[int]:
    """The district given by id and every region below it (a district filter matches its streets)."""
    region = Region.objects.filter(pk=int_value(value, "district")).first()
    if region is None:
        raise ValueError(f"筛选条件「{FILTERS['district']}」：区划 {value} 不存在")
    return list(region.descendants().values_list("pk", flat=True))

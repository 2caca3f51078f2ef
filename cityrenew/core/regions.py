"""Loading the 行政区划 tree from a CSV (code, name, short_name, aliases, level, kind, parent_code, group, order)."""

from __future__ import annotations

import csv
from pathlib import Path

from django.db import transaction

from .choices import RegionLevel
from .models import Region, RegionGroup

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "regions_zhengzhou.csv"
# Region groups as the official Zhengzhou project library tables use them (seed 003 L7491, L7875, L8062).
GROUP_SOURCE = "郑州市城市更新项目库（汇总表分组：市内五区 / 各开发区 / 各区县（市））"


# Said once, instead of one "unknown region" error per row, when an import meets an empty region tree.
REGIONS_NOT_LOADED = (
    "尚未加载行政区划{where}，无法识别文件中的区域名称。请先运行命令 cityrenew regions load"
    "（加载郑州市的区县、开发区、街道和社区；其他城市：cityrenew regions load 区划文件.csv），再重新导入。"
)


def default_city() -> Region | None:
    """The city the pages show by default: the first city of the region tree by code."""
    return Region.objects.filter(level=RegionLevel.CITY).order_by("code").first()


def regions_not_loaded(city: Region | None = None) -> str:
    """The message to give when there are no regions below ``city`` (or none at all); "" when there are."""
    qs = Region.objects.exclude(level__in=[RegionLevel.PROVINCE, RegionLevel.CITY])
    if city is not None:
        qs = qs & city.descendants(include_self=False)
    if qs.exists():
        return ""
    return REGIONS_NOT_LOADED.format(where=f"（{city.display_name}以下）" if city is not None else "")


def region_by_name(name: str, within: Region | None = None) -> Region | None:
    """Find a region by its official name, short name or alias (e.g. 管城区 → 管城回族区)."""
    name = (name or "").strip()
    if not name:
        return None
    qs = within.descendants() if within is not None else Region.objects.all()
    hit = qs.filter(name=name).first() or qs.filter(short_name=name).first()
    if hit:
        return hit
    for r in qs.filter(aliases__contains=name):
        if name in r.all_names():
            return r
    return None


@transaction.atomic
def load_regions(path: Path | str = DEFAULT_FILE) -> tuple[int, int]:
    """Create or update the regions in ``path``; returns (created, updated). Idempotent."""
    created = updated = 0
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_code: dict[str, Region] = {}
    for row in rows:
        parent = by_code.get(row["parent_code"]) or (
            Region.objects.filter(code=row["parent_code"]).first() if row["parent_code"] else None
        )
        values = dict(
            name=row["name"],
            short_name=row["short_name"],
            aliases=row["aliases"],
            level=row["level"],
            kind=row["kind"],
            parent=parent,
            order=int(row["order"] or 0),
        )
        region = Region.objects.filter(code=row["code"]).first()
        if region is None:
            region = Region(code=row["code"], **values)
            region.save()
            created += 1
        else:
            for k, v in values.items():
                setattr(region, k, v)
            if region.audit_diff():
                region.save()
                updated += 1
        by_code[region.code] = region
    for order, row in enumerate(rows):
        if not row["group"]:
            continue
        region = by_code[row["code"]]
        city = region.parent
        group, _ = RegionGroup.objects.get_or_create(
            city=city, name=row["group"], defaults={"order": _group_order(rows, row["group"]), "source": GROUP_SOURCE}
        )
        if region.group_id != group.id:
            region.group = group
            region.save()
    return created, updated


def _group_order(rows: list[dict], name: str) -> int:
    seen: list[str] = []
    for r in rows:
        if r["group"] and r["group"] not in seen:
            seen.append(r["group"])
    return seen.index(name) + 1

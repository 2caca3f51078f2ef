"""The subsidy cap of a province's city (中央财政补助上限, 财办建〔2025〕11号四、（一）).

The region of a province comes from the editable table :class:`~.models.ProvinceCapRegion` when the
database holds it (a 市级管理员 may change a row, audited), else from the shipped default
(``data/cap_regions.csv``); the cap of a region is the text's (8/10/12/12 亿元).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import DatabaseError

from . import rules


@dataclass(frozen=True)
class Cap:  # 某省城市的补助上限
    province: str
    region: str
    basis: str
    source: str  # "数据库" (the editable table) or "默认表"

    @property
    def region_label(self) -> str:
        return rules.REGION_LABELS[self.region]

    @property
    def cap_yi(self) -> Decimal:
        return rules.CAPS_YI[self.region]

    def as_dict(self) -> dict:
        cap = int(self.cap_yi) if self.cap_yi == self.cap_yi.to_integral_value() else str(self.cap_yi)
        return {"province": self.province, "region": self.region_label, "cap_yi": cap, "unit": "亿元",
                "region_basis": self.basis, "table": self.source, "rule": str(rules.CAP_SOURCE)}


class UnknownProvince(ValueError):
    pass


def region_of(province: str) -> Cap:
    """The cap of ``province`` (full or short name); :class:`UnknownProvince` (Chinese) when unknown."""
    full = rules.normalise_province(province)
    if not full:
        raise UnknownProvince(f"“{province}”不是省级行政区名称（如 四川省、上海市、广西壮族自治区）")
    try:
        from .models import ProvinceCapRegion

        row = ProvinceCapRegion.objects.filter(province=full).first()
    except DatabaseError:  # a database without this app's tables (e.g. not migrated): the default table
        row = None
    if row is not None:
        return Cap(full, row.region, row.basis, "数据库")
    default = next(r for r in rules.default_regions() if r.province == full)
    return Cap(full, default.region, default.basis, "默认表")


def load_default_table() -> int:
    """Fill :class:`~.models.ProvinceCapRegion` with the default rows it lacks (idempotent); returns how many."""
    from .models import ProvinceCapRegion

    have = set(ProvinceCapRegion.objects.values_list("province", flat=True))
    made = 0
    for r in rules.default_regions():
        if r.province not in have:
            ProvinceCapRegion.objects.create(province=r.province, region=r.region, basis=r.basis)
            made += 1
    return made

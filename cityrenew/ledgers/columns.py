"""The ledgers' columns in one place: Chinese header ↔ canonical column ↔ model field.

The canonical (English) names are the evaluator's input columns (``cityrenew.ledgers.rules``) and,
except ``region`` (a foreign key, read and written as the region's name), the model fields. Imports,
templates, exports and :func:`cityrenew.ledgers.frame.ledger_frame` all read these lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from .choices import (
    BuildingFunction,
    DangerGrade,
    EquipmentCategory,
    LandType,
    LedgerKind,
    LedgerStatus,
    Ownership,
    RenovationMethod,
)
from .headers import HEADERS, accepted_headers, normalise_header

TEXT, INT, DECIMAL, PERCENT, DATE, BOOL, CHOICE, REGION, ITEMS, YEAR = (
    "text", "int", "decimal", "percent", "date", "bool", "choice", "region", "items", "year")


@dataclass(frozen=True)
class LedgerColumn:
    name: str  # canonical column = model field (region: the FK, by name); header in .headers
    type: str = TEXT
    required: bool = False
    choices: type | None = None  # a TextChoices: the file holds the Chinese label
    hint: str = ""  # for the 说明 sheet
    group: str = ""  # ITEMS: 基础类/完善类/提升类

    @property
    def header(self) -> str:  # Chinese header in files
        return HEADERS[self.name][0]


COMMON_HEAD = [
    LedgerColumn("code", required=True, hint="台账内唯一；再次导入同一编号时按文件内容更新"),
    LedgerColumn("name"),
    LedgerColumn("region", REGION, required=True, hint="区县（市）名称或行政区划代码，如 金水区 / 410105"),
    LedgerColumn("address"),
]
COMMON_TAIL = [
    LedgerColumn("owner"),
    LedgerColumn("operator"),
    LedgerColumn("status", CHOICE, choices=LedgerStatus, hint="空白为“在册”"),
    LedgerColumn("lon", DECIMAL, hint="WGS84 经度（点位；线、面请用 GeoPackage/Shapefile 导入）"),
    LedgerColumn("lat", DECIMAL, hint="WGS84 纬度"),
    LedgerColumn("note"),
]

EQUIPMENT_COLUMNS = COMMON_HEAD[:1] + [
    LedgerColumn("category", CHOICE, required=True, choices=EquipmentCategory),
    LedgerColumn("material", hint="管道：灰口铸铁、球墨铸铁、钢质、聚乙烯……"),
    LedgerColumn("commissioned", DATE, hint="YYYY-MM-DD，不得晚于今天"),
    LedgerColumn("capacity_tph", DECIMAL, hint="锅炉；不得为负数"),
    LedgerColumn("efficiency_grade", hint="如 1级、2级、3级、不达标"),
    LedgerColumn("emission_ok", BOOL, hint="是/否"),
    LedgerColumn("hazard", BOOL, hint="是/否"),
    LedgerColumn("inspection", hint="如 允许使用、不允许使用"),
    COMMON_HEAD[2], COMMON_HEAD[1], COMMON_HEAD[3],
    LedgerColumn("length_km", DECIMAL, hint="管道；不得为负数"),
    LedgerColumn("diameter_mm", INT),
    LedgerColumn("pressure_class"),
    LedgerColumn("model_spec"),
    LedgerColumn("quantity", INT, hint="钢瓶、感知设备等按数量计的"),
    LedgerColumn("floors", INT, hint="电梯"),
    LedgerColumn("heating_area", DECIMAL, hint="换热站"),
    LedgerColumn("power_kw", DECIMAL),
    LedgerColumn("monitored", hint="生命线感知设备"),
] + COMMON_TAIL

BUILDING_COLUMNS = COMMON_HEAD[:2] + [
    LedgerColumn("function", CHOICE, required=True, choices=BuildingFunction),
    LedgerColumn("built_year", YEAR, required=True),
    LedgerColumn("seismic_retrofitted", BOOL, hint="是/否"),
    LedgerColumn("other_safety_retrofitted", BOOL, hint="是/否；无其他安全隐患填“是”"),
    LedgerColumn("energy_retrofitted", BOOL, hint="是/否"),
    LedgerColumn("energy_ratio_prev2", PERCENT, hint="百分数，如 85 或 85%"),
    LedgerColumn("energy_ratio_prev1", PERCENT, hint="百分数，如 85 或 85%"),
    COMMON_HEAD[2], COMMON_HEAD[3],
    LedgerColumn("floor_area", DECIMAL),
    LedgerColumn("in_old_ledger", BOOL),
    LedgerColumn("in_inefficient_ledger", BOOL),
] + COMMON_TAIL

COMMUNITY_COLUMNS = COMMON_HEAD[:2] + [
    COMMON_HEAD[2], COMMON_HEAD[3],
    LedgerColumn("built_year", YEAR, required=True),
    LedgerColumn("households", INT),
    LedgerColumn("buildings", INT),
    LedgerColumn("floor_area", DECIMAL),
    LedgerColumn("ownership", CHOICE, choices=Ownership),
    LedgerColumn("items_basic", ITEMS, group="基础类", hint="以“、”分隔，用国办发〔2020〕23号的用语"),
    LedgerColumn("items_complete", ITEMS, group="完善类", hint="以“、”分隔"),
    LedgerColumn("items_upgrade", ITEMS, group="提升类", hint="以“、”分隔"),
    LedgerColumn("willingness_pct", PERCENT),
    LedgerColumn("implementing_body"),
    LedgerColumn("maintenance_fund", DECIMAL),
] + COMMON_TAIL

DANGEROUS_COLUMNS = COMMON_HEAD[:2] + [
    COMMON_HEAD[2], COMMON_HEAD[3],
    LedgerColumn("grade", CHOICE, required=True, choices=DangerGrade, hint="C级 或 D级"),
    LedgerColumn("land_type", CHOICE, required=True, choices=LandType),
    LedgerColumn("method", CHOICE, choices=RenovationMethod),
    LedgerColumn("heritage", BOOL, hint="是/否"),
    LedgerColumn("heritage_plan"),
    LedgerColumn("built_year", YEAR),
    LedgerColumn("households", INT),
    LedgerColumn("floor_area", DECIMAL),
    LedgerColumn("appraised", DATE),
] + COMMON_TAIL

COLUMNS: dict[str, list[LedgerColumn]] = {
    LedgerKind.EQUIPMENT: EQUIPMENT_COLUMNS,
    LedgerKind.BUILDING: BUILDING_COLUMNS,
    LedgerKind.COMMUNITY: COMMUNITY_COLUMNS,
    LedgerKind.DANGEROUS_HOUSING: DANGEROUS_COLUMNS,
}

# Headers that only one ledger type has: an import that finds another type's headers says which.
SIGNATURE: dict[str, tuple[str, ...]] = {
    LedgerKind.EQUIPMENT: ("设备类别",),
    LedgerKind.BUILDING: ("主要功能", "已节能改造"),
    LedgerKind.COMMUNITY: ("基础类改造内容", "户数"),
    LedgerKind.DANGEROUS_HOUSING: ("危险性等级",),
}
FILE_ONLY = frozenset({"lon", "lat"})  # read into ``location``


def header_to_column(kind: str) -> dict[str, LedgerColumn]:
    """Every accepted header (and its full-width/half-width variants) → column."""
    out: dict[str, LedgerColumn] = {}
    for col in COLUMNS[kind]:
        for h in accepted_headers(col.name):
            out[normalise_header(h)] = col
    return out


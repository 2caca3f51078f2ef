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

TEXT, INT, DECIMAL, PERCENT, DATE, BOOL, CHOICE, REGION, ITEMS, YEAR = (
    "text", "int", "decimal", "percent", "date", "bool", "choice", "region", "items", "year")


@dataclass(frozen=True)
class LedgerColumn:
    name: str  # canonical column = model field (region: the FK, by name)
    header: str  # Chinese header in files
    type: str = TEXT
    required: bool = False
    choices: type | None = None  # a TextChoices: the file holds the Chinese label
    aliases: tuple[str, ...] = ()  # other headers accepted on import
    hint: str = ""  # for the 说明 sheet
    group: str = ""  # ITEMS: 基础类/完善类/提升类


COMMON_HEAD = [
    LedgerColumn("code", "编号", required=True, hint="台账内唯一；再次导入同一编号时按文件内容更新"),
    LedgerColumn("name", "名称"),
    LedgerColumn("region", "所在区域", REGION, required=True, aliases=("所在区县", "区域", "行政区"),
                 hint="区县（市）名称或行政区划代码，如 金水区 / 410105"),
    LedgerColumn("address", "地址"),
]
COMMON_TAIL = [
    LedgerColumn("owner", "产权单位", aliases=("所有权人",)),
    LedgerColumn("operator", "管理单位", aliases=("运营单位", "管理/运营单位")),
    LedgerColumn("status", "状态", CHOICE, choices=LedgerStatus, hint="空白为“在册”"),
    LedgerColumn("lon", "经度", DECIMAL, hint="WGS84 经度（点位；线、面请用 GeoPackage/Shapefile 导入）"),
    LedgerColumn("lat", "纬度", DECIMAL, hint="WGS84 纬度"),
    LedgerColumn("note", "备注"),
]

EQUIPMENT_COLUMNS = COMMON_HEAD[:1] + [
    LedgerColumn("category", "设备类别", CHOICE, required=True, choices=EquipmentCategory, aliases=("类别",)),
    LedgerColumn("material", "材质", hint="管道：灰口铸铁、球墨铸铁、钢质、聚乙烯……"),
    LedgerColumn("commissioned", "投用日期", DATE, aliases=("投入使用日期", "投运日期"), hint="YYYY-MM-DD，不得晚于今天"),
    LedgerColumn("capacity_tph", "额定蒸发量（蒸吨/小时）", DECIMAL, aliases=("额定蒸发量(蒸吨/小时)", "额定蒸发量"),
                 hint="锅炉；不得为负数"),
    LedgerColumn("efficiency_grade", "能效等级", hint="如 1级、2级、3级、不达标"),
    LedgerColumn("emission_ok", "排放达标", BOOL, hint="是/否"),
    LedgerColumn("hazard", "安全隐患", BOOL, hint="是/否"),
    LedgerColumn("inspection", "检验结论", hint="如 允许使用、不允许使用"),
    COMMON_HEAD[2], COMMON_HEAD[1], COMMON_HEAD[3],
    LedgerColumn("length_km", "长度（公里）", DECIMAL, aliases=("长度(公里)", "长度（km）"), hint="管道；不得为负数"),
    LedgerColumn("diameter_mm", "管径（毫米）", INT, aliases=("管径(毫米)", "管径")),
    LedgerColumn("pressure_class", "压力级制"),
    LedgerColumn("model_spec", "型号规格"),
    LedgerColumn("quantity", "数量", INT, hint="钢瓶、感知设备等按数量计的"),
    LedgerColumn("floors", "服务层数", INT, hint="电梯"),
    LedgerColumn("heating_area", "供热面积（万平方米）", DECIMAL, hint="换热站"),
    LedgerColumn("power_kw", "额定功率（千瓦）", DECIMAL),
    LedgerColumn("monitored", "监测对象", hint="生命线感知设备"),
] + COMMON_TAIL

BUILDING_COLUMNS = COMMON_HEAD[:2] + [
    LedgerColumn("function", "主要功能", CHOICE, required=True, choices=BuildingFunction),
    LedgerColumn("built_year", "建成年份", YEAR, required=True),
    LedgerColumn("seismic_retrofitted", "已抗震鉴定加固", BOOL, hint="是/否"),
    LedgerColumn("other_safety_retrofitted", "其他安全隐患已鉴定加固", BOOL, hint="是/否；无其他安全隐患填“是”"),
    LedgerColumn("energy_retrofitted", "已节能改造", BOOL, hint="是/否"),
    LedgerColumn("energy_ratio_prev2", "用能占约束值比例（前年）", PERCENT, aliases=("用能占约束值比例(前年)",),
                 hint="百分数，如 85 或 85%"),
    LedgerColumn("energy_ratio_prev1", "用能占约束值比例（上年）", PERCENT, aliases=("用能占约束值比例(上年)",),
                 hint="百分数，如 85 或 85%"),
    COMMON_HEAD[2], COMMON_HEAD[3],
    LedgerColumn("floor_area", "建筑面积（平方米）", DECIMAL),
    LedgerColumn("in_old_ledger", "纳入老旧楼宇基础台账", BOOL),
    LedgerColumn("in_inefficient_ledger", "纳入低效楼宇基础台账", BOOL),
] + COMMON_TAIL

COMMUNITY_COLUMNS = COMMON_HEAD[:2] + [
    COMMON_HEAD[2], COMMON_HEAD[3],
    LedgerColumn("built_year", "建成年份", YEAR, required=True),
    LedgerColumn("households", "户数", INT),
    LedgerColumn("buildings", "楼栋数", INT),
    LedgerColumn("floor_area", "建筑面积（平方米）", DECIMAL),
    LedgerColumn("ownership", "产权类型", CHOICE, choices=Ownership),
    LedgerColumn("items_basic", "基础类改造内容", ITEMS, group="基础类", hint="以“、”分隔，用国办发〔2020〕23号的用语"),
    LedgerColumn("items_complete", "完善类改造内容", ITEMS, group="完善类", hint="以“、”分隔"),
    LedgerColumn("items_upgrade", "提升类改造内容", ITEMS, group="提升类", hint="以“、”分隔"),
    LedgerColumn("willingness_pct", "居民改造意愿（同意率，%）", PERCENT, aliases=("居民同意率",)),
    LedgerColumn("implementing_body", "实施主体"),
    LedgerColumn("maintenance_fund", "住宅专项维修资金余额（万元）", DECIMAL, aliases=("维修资金（万元）",)),
] + COMMON_TAIL

DANGEROUS_COLUMNS = COMMON_HEAD[:2] + [
    COMMON_HEAD[2], COMMON_HEAD[3],
    LedgerColumn("grade", "危险性等级", CHOICE, required=True, choices=DangerGrade, hint="C级 或 D级"),
    LedgerColumn("land_type", "土地性质", CHOICE, required=True, choices=LandType),
    LedgerColumn("method", "改造方式", CHOICE, choices=RenovationMethod),
    LedgerColumn("heritage", "涉及文物/历史建筑等保护对象", BOOL, aliases=("保护对象",), hint="是/否"),
    LedgerColumn("heritage_plan", "一屋一策改造方案"),
    LedgerColumn("built_year", "建成年份", YEAR),
    LedgerColumn("households", "户数", INT),
    LedgerColumn("floor_area", "建筑面积（平方米）", DECIMAL),
    LedgerColumn("appraised", "鉴定日期", DATE),
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
        for h in (col.header, *col.aliases):
            out[normalise_header(h)] = col
    return out


def normalise_header(text: str) -> str:
    return str(text).strip().replace("(", "（").replace(")", "）").replace(" ", "").replace("\u3000", "")

"""The ledgers (台账): old communities, dangerous housing, old/inefficient buildings, facilities and equipment.

Every ledger row has a code (编号, unique within its ledger), a name, its region (所在区域), a place
(a point, a line for pipes, or an area; WGS84 with a spatial index), owner and operator, a status and
its history (the audit log: a row created by an import is recorded once with its :class:`LedgerImport`,
each later change per row by :class:`~cityrenew.core.models.AuditedModel`).
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.gis.db import models as gis_models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from cityrenew.core.models import AuditedModel, Region

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

NON_NEGATIVE = [MinValueValidator(Decimal("0"))]
PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
YEAR = [MinValueValidator(1800), MaxValueValidator(2100)]


class LedgerImport(AuditedModel):  # 台账导入批次
    """One import of a ledger file: who, when, which file (SHA-256), how many rows created/updated.

    Its creation is the audit entry of every row the import created (a million rows are one entry
    here, not a million); rows the import changed get their own audit entries.
    """

    kind = models.CharField("台账类型", max_length=32, choices=LedgerKind.choices)
    file_name = models.CharField("文件名", max_length=255)
    sha256 = models.CharField("文件 SHA-256", max_length=64)
    created_rows = models.PositiveIntegerField("新增行数", default=0)
    updated_rows = models.PositiveIntegerField("更新行数", default=0)
    unchanged_rows = models.PositiveIntegerField("未变行数", default=0)
    user_name = models.CharField("导入人", max_length=150, blank=True)
    created_at = models.DateTimeField("导入时间", auto_now_add=True)

    class Meta:
        verbose_name = "台账导入批次"
        verbose_name_plural = "台账导入批次"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.file_name}"


class LedgerRecord(AuditedModel):
    """What every ledger row has (abstract)."""

    kind: str = ""
    code = models.CharField("编号", max_length=64, unique=True)
    name = models.CharField("名称", max_length=200, blank=True)
    region = models.ForeignKey(Region, verbose_name="所在区域", on_delete=models.PROTECT, related_name="+")
    address = models.CharField("地址", max_length=300, blank=True)
    location = gis_models.GeometryField("位置（WGS84）", srid=4326, null=True, blank=True, spatial_index=True,
                                        help_text="点（设施位置）、线（管道走向）或面（小区、楼宇范围）")
    owner = models.CharField("产权单位/所有权人", max_length=200, blank=True)
    operator = models.CharField("管理/运营单位", max_length=200, blank=True)
    status = models.CharField("状态", max_length=16, choices=LedgerStatus.choices, default=LedgerStatus.IN_USE)
    note = models.TextField("备注", blank=True)
    demo = models.BooleanField("演示数据", default=False, help_text="由 cityrenew demo 生成的演示数据，非真实台账")
    import_batch = models.ForeignKey(LedgerImport, verbose_name="导入批次", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    audit_exclude = ("created_at", "updated_at", "import_batch")

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()

    def get_absolute_url(self) -> str:
        return reverse(f"ledgers:{self.kind}_detail", args=[self.pk])


class OldCommunity(LedgerRecord):  # 城镇老旧小区（国办发〔2020〕23号）
    kind = LedgerKind.COMMUNITY
    built_year = models.PositiveSmallIntegerField("建成年份", validators=YEAR)
    households = models.PositiveIntegerField("户数", null=True, blank=True)
    buildings = models.PositiveIntegerField("楼栋数", null=True, blank=True)
    floor_area = models.DecimalField("建筑面积（平方米）", max_digits=14, decimal_places=2, null=True, blank=True,
                                     validators=NON_NEGATIVE)
    ownership = models.CharField("产权类型", max_length=16, choices=Ownership.choices, blank=True)
    items_basic = models.JSONField("基础类改造内容", default=list, blank=True)
    items_complete = models.JSONField("完善类改造内容", default=list, blank=True)
    items_upgrade = models.JSONField("提升类改造内容", default=list, blank=True)
    willingness_pct = models.DecimalField("居民改造意愿（同意率，%）", max_digits=5, decimal_places=2, null=True, blank=True,
                                          validators=PERCENT)
    implementing_body = models.CharField("实施主体", max_length=200, blank=True)
    maintenance_fund = models.DecimalField("住宅专项维修资金余额（万元）", max_digits=14, decimal_places=2, null=True, blank=True,
                                           validators=NON_NEGATIVE)

    class Meta(LedgerRecord.Meta):
        verbose_name = "城镇老旧小区"
        verbose_name_plural = "城镇老旧小区"
        indexes = [models.Index(fields=["region", "built_year"], name="ledger_community_region_year")]


class DangerousHousing(LedgerRecord):  # 危险住房
    kind = LedgerKind.DANGEROUS_HOUSING
    grade = models.CharField("危险性等级", max_length=1, choices=DangerGrade.choices)
    land_type = models.CharField("土地性质", max_length=16, choices=LandType.choices)
    method = models.CharField("改造方式", max_length=16, choices=RenovationMethod.choices, blank=True)
    heritage = models.BooleanField("涉及文物/历史建筑等保护对象", default=False, help_text="“一屋一策”提出改造方案")
    heritage_plan = models.TextField("一屋一策改造方案", blank=True)
    built_year = models.PositiveSmallIntegerField("建成年份", null=True, blank=True, validators=YEAR)
    households = models.PositiveIntegerField("户数", null=True, blank=True)
    floor_area = models.DecimalField("建筑面积（平方米）", max_digits=14, decimal_places=2, null=True, blank=True,
                                     validators=NON_NEGATIVE)
    appraised = models.DateField("鉴定日期", null=True, blank=True)

    class Meta(LedgerRecord.Meta):
        verbose_name = "危险住房"
        verbose_name_plural = "危险住房"
        indexes = [models.Index(fields=["region", "grade"], name="ledger_danger_region_grade")]


class OfficeBuilding(LedgerRecord):  # 老旧/低效楼宇（京建法〔2024〕14号 第二条）
    kind = LedgerKind.BUILDING
    function = models.CharField("主要功能", max_length=16, choices=BuildingFunction.choices)
    built_year = models.PositiveSmallIntegerField("建成年份", validators=YEAR)
    floor_area = models.DecimalField("建筑面积（平方米）", max_digits=14, decimal_places=2, null=True, blank=True,
                                     validators=NON_NEGATIVE)
    seismic_retrofitted = models.BooleanField("已抗震鉴定加固", default=False)
    other_safety_retrofitted = models.BooleanField("其他安全隐患已鉴定加固", default=True,
                                                   help_text="存在其他建筑安全隐患且未鉴定加固时填“否”")
    energy_retrofitted = models.BooleanField("已节能改造", default=False)
    energy_ratio_prev2 = models.DecimalField("用能占约束值比例（前年，%）", max_digits=7, decimal_places=2, null=True, blank=True,
                                             validators=NON_NEGATIVE)
    energy_ratio_prev1 = models.DecimalField("用能占约束值比例（上年，%）", max_digits=7, decimal_places=2, null=True, blank=True,
                                             validators=NON_NEGATIVE)
    in_old_ledger = models.BooleanField("纳入老旧楼宇基础台账", default=False)
    in_inefficient_ledger = models.BooleanField("纳入低效楼宇基础台账", default=False, help_text="由各区动态认定")

    class Meta(LedgerRecord.Meta):
        verbose_name = "老旧低效楼宇"
        verbose_name_plural = "老旧低效楼宇"
        indexes = [models.Index(fields=["region", "built_year"], name="ledger_building_region_year")]


class Equipment(LedgerRecord):  # 设施设备
    """One model for every category; the columns a category does not use stay empty."""

    kind = LedgerKind.EQUIPMENT
    category = models.CharField("设备类别", max_length=32, choices=EquipmentCategory.choices)
    model_spec = models.CharField("型号规格", max_length=100, blank=True)
    material = models.CharField("材质", max_length=32, blank=True, help_text="管道：灰口铸铁、球墨铸铁、钢质、聚乙烯……")
    commissioned = models.DateField("投用日期", null=True, blank=True)
    length_km = models.DecimalField("长度（公里）", max_digits=12, decimal_places=3, null=True, blank=True, validators=NON_NEGATIVE)
    diameter_mm = models.PositiveIntegerField("管径（毫米）", null=True, blank=True)
    pressure_class = models.CharField("压力级制", max_length=16, blank=True, help_text="燃气管道：低压、中压、次高压、高压")
    capacity_tph = models.DecimalField("额定蒸发量（蒸吨/小时）", max_digits=10, decimal_places=2, null=True, blank=True,
                                       validators=NON_NEGATIVE)
    efficiency_grade = models.CharField("能效等级", max_length=16, blank=True, help_text="如 1级、2级、3级、不达标")
    emission_ok = models.BooleanField("排放达标", null=True, blank=True)
    hazard = models.BooleanField("安全隐患", null=True, blank=True)
    inspection = models.CharField("检验结论", max_length=100, blank=True, help_text="如 允许使用、不允许使用")
    quantity = models.PositiveIntegerField("数量（台/个/只）", null=True, blank=True, help_text="钢瓶、感知设备等按数量计的")
    floors = models.PositiveSmallIntegerField("服务层数", null=True, blank=True, help_text="电梯")
    heating_area = models.DecimalField("供热面积（万平方米）", max_digits=12, decimal_places=2, null=True, blank=True,
                                       validators=NON_NEGATIVE)
    power_kw = models.DecimalField("额定功率（千瓦）", max_digits=12, decimal_places=2, null=True, blank=True, validators=NON_NEGATIVE)
    monitored = models.CharField("监测对象", max_length=100, blank=True, help_text="生命线感知设备：燃气管网、桥梁、排水防涝……")

    class Meta(LedgerRecord.Meta):
        verbose_name = "设施设备"
        verbose_name_plural = "设施设备"
        indexes = [models.Index(fields=["category", "region"], name="ledger_equipment_cat_region"),
                   models.Index(fields=["commissioned"], name="ledger_equipment_commissioned")]


LEDGER_MODELS: dict[str, type[LedgerRecord]] = {
    LedgerKind.COMMUNITY: OldCommunity,
    LedgerKind.DANGEROUS_HOUSING: DangerousHousing,
    LedgerKind.BUILDING: OfficeBuilding,
    LedgerKind.EQUIPMENT: Equipment,
}

"""The renewal project library (城市更新项目库)."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.contrib.gis.db import models as gis_models
from django.db import models
from django.urls import reverse

from cityrenew.core.models import AuditedModel, Organisation, Region, RegionGroup

from .choices import BatchType, ChangeAction, FundingSource, ProjectCategory, ProjectStatus

# 亿元 amounts are stored with 6 decimals; ``investment_micro`` keeps the same amount as an integer
# number of 1e-6 亿元 (= 100 元) so that sums in the database are exact on every backend (SQLite keeps
# DECIMAL columns as floating point, PostgreSQL as NUMERIC) — see :mod:`cityrenew.projects.summary`.
MICRO = Decimal("1000000")


def to_micro(amount: Decimal | None) -> int:
    """亿元 (Decimal, ≤ 6 decimals) → integer count of 1e-6 亿元."""
    if amount is None:
        return 0
    return int((Decimal(amount) * MICRO).to_integral_value())


def from_micro(micro: int | None) -> Decimal:
    return Decimal(int(micro or 0)) / MICRO

# Zhengzhou code format: K + YYYY + BB (batch) + NNN — 郑州市城市更新项目库 (seed 003 L7480–8443)
PROJECT_CODE_RE = re.compile(r"^K(20\d{2})(\d{2})(\d{3})$")


def validate_project_code(value: str) -> None:
    if not PROJECT_CODE_RE.match(value or ""):
        raise ValidationError(
            "项目编号格式不正确：应为“K”+4位年份+2位批次+3位序号，如 K202201001（实际为“%(v)s”）",
            code="invalid_code",
            params={"v": value},
        )


class AdjustmentBatch(AuditedModel):  # 项目库调整批次（新增入库/调整/调出）
    city = models.ForeignKey(Region, verbose_name="城市", on_delete=models.PROTECT, related_name="project_batches")
    doc_number = models.CharField("文号", max_length=64, unique=True)
    title = models.CharField("文件标题", max_length=200, blank=True)
    batch_type = models.CharField("调整类型", max_length=16, choices=BatchType.choices)
    date = models.DateField("日期", null=True, blank=True)
    url = models.URLField("原文链接", blank=True)
    note = models.TextField("说明", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "调整批次"
        verbose_name_plural = "调整批次"
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.doc_number}（{self.get_batch_type_display()}）"

    def get_absolute_url(self) -> str:
        return reverse("projects:batch_detail", args=[self.pk])


class RenewalProject(AuditedModel):  # 城市更新项目
    code = models.CharField("项目编号", max_length=16, unique=True, validators=[validate_project_code])
    name = models.CharField("项目名称", max_length=300)
    city = models.ForeignKey(Region, verbose_name="城市", on_delete=models.PROTECT, related_name="city_projects")
    districts = models.ManyToManyField(Region, verbose_name="所在区域", related_name="projects")
    region_group = models.ForeignKey(
        RegionGroup, verbose_name="片区分组", null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
    total_investment = models.DecimalField(
        "项目总投资（亿元）",
        max_digits=18,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0"))],
    )
    investment_micro = models.BigIntegerField(
        "项目总投资（1e-6 亿元，整数）", default=0, editable=False, help_text="由项目总投资自动换算，用于精确汇总"
    )
    category = models.CharField(
        "更新类型", max_length=32, choices=ProjectCategory.choices, default=ProjectCategory.UNCLASSIFIED
    )
    status = models.CharField("项目状态", max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.LIBRARY)
    implementing_entity = models.ForeignKey(
        Organisation, verbose_name="实施主体", null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
    start_year = models.PositiveSmallIntegerField("开工年份", null=True, blank=True)
    end_year = models.PositiveSmallIntegerField("完工年份", null=True, blank=True)
    location = gis_models.GeometryField(
        "位置或范围（WGS84）", srid=4326, null=True, blank=True, spatial_index=True, help_text="点（项目位置）或面（项目范围）"
    )
    location_source = models.CharField("位置来源", max_length=200, blank=True)
    batch = models.ForeignKey(
        AdjustmentBatch, verbose_name="入库批次", null=True, blank=True, on_delete=models.PROTECT, related_name="added_projects"
    )
    removed_batch = models.ForeignKey(
        AdjustmentBatch, verbose_name="调出批次", null=True, blank=True, on_delete=models.PROTECT, related_name="removed_projects"
    )
    seq = models.PositiveIntegerField("序号", null=True, blank=True, help_text="官方汇总表中的序号")
    description = models.TextField("项目概况", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    audit_exclude = ("updated_at", "created_at", "investment_micro")

    class Meta:
        verbose_name = "城市更新项目"
        verbose_name_plural = "城市更新项目"
        ordering = ["seq", "code"]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["category"]),
            models.Index(fields=["total_investment"]),
            # the default order of every list (official 序号, then code): pages read the index in order
            models.Index(fields=["seq", "code"], name="project_seq_code_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("projects:project_detail", args=[self.code])

    def save(self, *args, **kwargs) -> None:
        if self.total_investment is not None:
            self.investment_micro = to_micro(self.total_investment)
            if kwargs.get("update_fields") is not None and "total_investment" in kwargs["update_fields"]:
                kwargs["update_fields"] = list(set(kwargs["update_fields"]) | {"investment_micro"})
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.start_year and self.end_year and self.end_year < self.start_year:
            raise ValidationError({"end_year": "完工年份不能早于开工年份"})

    @property
    def is_multi_district(self) -> bool:
        return self.districts.count() > 1


class ProjectChange(models.Model):  # 批次变更记录（项目库在每个批次的变化）
    """What one adjustment batch did to one project: 新增入库 / 调整 (with the field changes) / 调出.

    An append-only journal next to the audit log: the audit log says who changed a row and when, this
    says which official document (文号) changed the library, so its state at any batch can be shown.
    """

    batch = models.ForeignKey(AdjustmentBatch, verbose_name="批次", on_delete=models.CASCADE, related_name="changes")
    project = models.ForeignKey(RenewalProject, verbose_name="项目", on_delete=models.CASCADE, related_name="batch_changes")
    action = models.CharField("变更", max_length=16, choices=ChangeAction.choices)
    changes = models.JSONField("变更内容", default=dict, blank=True)  # {field: [old, new]}
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "批次变更记录"
        verbose_name_plural = "批次变更记录"
        ordering = ["batch_id", "id"]
        indexes = [models.Index(fields=["project", "batch"])]

    def __str__(self) -> str:
        return f"{self.batch.doc_number} {self.get_action_display()} {self.project.code}"


class ProjectFunding(AuditedModel):  # 项目资金来源
    project = models.ForeignKey(RenewalProject, verbose_name="项目", on_delete=models.CASCADE, related_name="fundings")
    source = models.CharField("资金来源", max_length=32, choices=FundingSource.choices)
    amount = models.DecimalField(
        "金额（亿元）", max_digits=18, decimal_places=6, validators=[MinValueValidator(Decimal("0"))]
    )
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "资金来源"
        verbose_name_plural = "资金来源"
        constraints = [models.UniqueConstraint(fields=["project", "source"], name="uniq_project_funding_source")]

    def __str__(self) -> str:
        return f"{self.project.code} {self.get_source_display()} {self.amount}"

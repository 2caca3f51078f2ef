"""Funding of renewal projects (项目资金): planned, received and spent amounts by channel and year, and tranches.

Amounts are in 万元 (Decimal, 6 places). The channels are ``projects.FundingSource`` (one list for the
library's 资金来源 and these plans). A ``FundingLine`` is one channel in one year of one project; a
``Tranche`` is one request to release money from a channel, approved by the district, then by finance.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse

from cityrenew.core.models import AuditedModel
from cityrenew.core.uploads import validate_attachment
from cityrenew.projects.choices import FundingSource

from .choices import ReviewDecision, ReviewStage, TrancheState

AMOUNT = {"max_digits": 18, "decimal_places": 6, "validators": [MinValueValidator(Decimal("0"))]}


class FundingLine(AuditedModel):  # 资金计划（项目 × 渠道 × 年度）
    project = models.ForeignKey(
        "projects.RenewalProject", verbose_name="项目", on_delete=models.CASCADE, related_name="funding_lines"
    )
    channel = models.CharField("资金渠道", max_length=32, choices=FundingSource.choices)
    year = models.PositiveSmallIntegerField("年度")
    planned = models.DecimalField("计划金额（万元）", default=Decimal("0"), **AMOUNT)
    received = models.DecimalField("到位金额（万元）", default=Decimal("0"), **AMOUNT)
    spent = models.DecimalField("支出金额（万元）", default=Decimal("0"), **AMOUNT)
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "资金计划"
        verbose_name_plural = "资金计划"
        ordering = ["project", "year", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["project", "channel", "year"], name="uniq_funding_line")
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.year} {self.get_channel_display()}"

    def get_absolute_url(self) -> str:
        return reverse("funding:project", args=[self.project.code])

    def region_ids(self) -> list[int]:
        return list(self.project.districts.values_list("id", flat=True))


class Tranche(AuditedModel):  # 资金拨付申请
    project = models.ForeignKey(
        "projects.RenewalProject", verbose_name="项目", on_delete=models.CASCADE, related_name="tranches"
    )
    channel = models.CharField("资金渠道", max_length=32, choices=FundingSource.choices)
    year = models.PositiveSmallIntegerField("年度")
    amount = models.DecimalField("申请金额（万元）", **AMOUNT)
    purpose = models.CharField("用途", max_length=300, blank=True)
    state = models.CharField("状态", max_length=24, choices=TrancheState.choices, default=TrancheState.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)

    audit_exclude = ("requested_at",)

    class Meta:
        verbose_name = "资金拨付申请"
        verbose_name_plural = "资金拨付申请"
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"{self.project.code} {self.year} {self.get_channel_display()} {self.amount}万元"

    def get_absolute_url(self) -> str:
        return reverse("funding:tranche_detail", args=[self.pk])

    def region_ids(self) -> list[int]:
        return list(self.project.districts.values_list("id", flat=True))


class TrancheReview(AuditedModel):  # 拨付审核记录（只增不改）
    """One decision on a tranche: the district's or finance's 同意/退回, or finance's 已拨付, with its comment."""

    tranche = models.ForeignKey(Tranche, verbose_name="拨付申请", on_delete=models.CASCADE, related_name="reviews")
    stage = models.CharField("审核环节", max_length=16, choices=ReviewStage.choices)
    decision = models.CharField("审核意见", max_length=16, choices=ReviewDecision.choices)
    comment = models.TextField("意见说明", blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField("审核时间", auto_now_add=True)

    audit_exclude = ("at",)

    class Meta:
        verbose_name = "拨付审核记录"
        verbose_name_plural = "拨付审核记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.tranche} {self.get_stage_display()} {self.get_decision_display()}"


def attachment_upload_to(instance: "TrancheAttachment", filename: str) -> str:
    return f"funding/attachments/{filename}"


class TrancheAttachment(AuditedModel):  # 拨付申请附件（申请材料、审核意见书、拨付凭证）
    tranche = models.ForeignKey(Tranche, verbose_name="拨付申请", on_delete=models.CASCADE, related_name="attachments")
    review = models.ForeignKey(
        TrancheReview, verbose_name="审核记录", null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField("文件", upload_to=attachment_upload_to, validators=[validate_attachment])
    description = models.CharField("说明", max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    audit_exclude = ("uploaded_at",)

    class Meta:
        verbose_name = "拨付申请附件"
        verbose_name_plural = "拨付申请附件"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.description or self.file.name.rsplit("/", 1)[-1]

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]


class FundingSettings(AuditedModel):  # 城市资金配置：审核拨付申请的财政部门
    """Which organisations of a city take the finance approval (财政审核) and register payment of its tranches.

    An explicit list, set by the city's 市级管理员 (audited, changes to the list included): a 部门审核员 of one of
    these organisations, over the project's districts, is the finance approver. No organisation set: no finance
    approval in that city until one is (the refusal says so)."""

    city = models.OneToOneField("core.Region", verbose_name="城市", on_delete=models.PROTECT, related_name="+")
    finance_organisations = models.ManyToManyField(
        "core.Organisation", verbose_name="财政审核部门", blank=True, related_name="+",
        help_text="由这些部门的部门审核员进行拨付申请的财政审核和拨付登记（如 郑州市财政局）")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = "城市资金配置"
        verbose_name_plural = "城市资金配置"

    def __str__(self) -> str:
        return f"{self.city.display_name}资金配置"

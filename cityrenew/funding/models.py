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

from cityrenew.core.models import AuditedModel
from cityrenew.projects.choices import FundingSource

from .choices import TrancheState

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

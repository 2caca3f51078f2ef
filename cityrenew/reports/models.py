"""Progress reports upward (进度报送): one row per version of a city's report for a year.

A report is generated from the records (:mod:`cityrenew.reports.figures`); the figures are kept in the
row as they were at generation (``figures``, JSON), so a version once submitted always shows and
downloads (Excel and Word are rendered from this snapshot) what the city sent, whatever changes in the
records later. Versions of one city, year and kind are numbered 1, 2, …; after a return the city
generates a new version.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from cityrenew.core.models import AuditedModel, Region

from .choices import ReportKind, ReportState


class ProgressReport(AuditedModel):  # 进度报告（某城市某年度的一个版本）
    city = models.ForeignKey(Region, verbose_name="城市", on_delete=models.PROTECT, related_name="progress_reports")
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("报告类型", max_length=16, choices=ReportKind.choices, default=ReportKind.YEARLY)
    version = models.PositiveIntegerField("版本号", default=1)
    title = models.CharField("标题", max_length=200)
    state = models.CharField("状态", max_length=16, choices=ReportState.choices, default=ReportState.GENERATED)
    figures = models.JSONField("报告数据（生成时快照）", default=dict, editable=False)
    progress = models.TextField("工作进展", blank=True)
    problems = models.TextField("存在问题", blank=True)
    practices = models.TextField("经验做法", blank=True)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="生成人", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    generated_at = models.DateTimeField("生成时间", auto_now_add=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报送人", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_comment = models.TextField("审核意见", blank=True)

    audit_exclude = ("generated_at", "figures")

    class Meta:
        verbose_name = "进度报告"
        verbose_name_plural = "进度报告"
        ordering = ["-year", "city", "kind", "-version"]
        constraints = [models.UniqueConstraint(fields=["city", "year", "kind", "version"], name="uniq_report_version")]
        indexes = [models.Index(fields=["state"], name="report_state_idx")]

    def __str__(self) -> str:
        return f"{self.city.display_name}{self.year}年{self.get_kind_display()}（第{self.version}版）"

    def get_absolute_url(self) -> str:
        return reverse("reports:report_detail", args=[self.pk])

    def region_ids(self) -> list[int]:
        return [self.city_id]

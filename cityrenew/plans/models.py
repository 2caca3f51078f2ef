"""Implementation plans (城市更新实施方案) of renewal projects.

One plan belongs to one project of the library (``projects.RenewalProject``) and one district; the
implementing entity (实施主体, an ``Organisation`` of kind 实施主体) drafts and submits it, the district's
authority and departments review it (app ``review``), it is noticed on the public site (app ``notices``)
and the owners vote on it (app ``ballots``). Its ``state`` changes only through ``workflow.transition``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from cityrenew.core.models import AuditedModel, Organisation, Region

from .choices import PlanCategory, PlanState


class ImplementationPlan(AuditedModel):  # 城市更新实施方案
    code = models.CharField("方案编号", max_length=32, unique=True)
    title = models.CharField("方案名称", max_length=300)
    project = models.ForeignKey(
        "projects.RenewalProject", verbose_name="所属项目", on_delete=models.PROTECT, related_name="plans"
    )
    district = models.ForeignKey(Region, verbose_name="所在区", on_delete=models.PROTECT, related_name="plans")
    entity = models.ForeignKey(
        Organisation, verbose_name="实施主体", on_delete=models.PROTECT, related_name="implemented_plans"
    )
    coordinator = models.ForeignKey(
        Organisation, verbose_name="统筹主体", null=True, blank=True, on_delete=models.PROTECT,
        related_name="coordinated_plans",
    )
    category = models.CharField("项目类别", max_length=16, choices=PlanCategory.choices, default=PlanCategory.OTHER)
    state = models.CharField("状态", max_length=16, choices=PlanState.choices, default=PlanState.DRAFTING)
    summary = models.TextField("方案概要", blank=True, help_text="公示时向公众展示")
    expert_review_required = models.BooleanField("需专家评审", default=False)
    opinion_date = models.DateField("联合审查意见日期", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    audit_exclude = ("updated_at", "created_at")

    class Meta:
        verbose_name = "实施方案"
        verbose_name_plural = "实施方案"
        ordering = ["-created_at", "code"]
        indexes = [models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("plans:plan_detail", args=[self.code])


class PlanTransition(models.Model):  # 状态流转记录（只增不改）
    plan = models.ForeignKey(ImplementationPlan, verbose_name="实施方案", on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField("原状态", max_length=16, choices=PlanState.choices)
    to_state = models.CharField("新状态", max_length=16, choices=PlanState.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField("说明", blank=True)
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "状态流转记录"
        verbose_name_plural = "状态流转记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.plan.code}: {self.get_from_state_display()} → {self.get_to_state_display()}"

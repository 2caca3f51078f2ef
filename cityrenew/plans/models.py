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
from cityrenew.core.uploads import validate_attachment

from .choices import (
    ExpertConclusion,
    MaterialKind,
    PermitKind,
    PermitMode,
    PlanCategory,
    PlanState,
)


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
    other_rights = models.BooleanField(
        "涉及抵押登记他项权益", default=False, help_text="已登记抵押权等他项权利的，申报时须提交他项权益人书面同意意见（第六条（四））"
    )
    land_first_done = models.DateField("首期用地手续办结日期", null=True, blank=True)
    land_all_done = models.DateField("全部用地手续办结日期", null=True, blank=True)
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

    def region_ids(self) -> list[int]:
        return [self.district_id]

    @property
    def latest_version(self) -> PlanVersion | None:
        return self.versions.order_by("-number").first()


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


def plan_file_upload_to(instance: models.Model, filename: str) -> str:
    from cityrenew.core.uploads import safe_filename

    return f"plans/{instance.plan.code}/{safe_filename(filename)}"


class PlanVersion(AuditedModel):  # 实施方案版本
    plan = models.ForeignKey(ImplementationPlan, verbose_name="实施方案", on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField("版本号")
    document = models.FileField("方案文本", upload_to=plan_file_upload_to, validators=[validate_attachment])
    change_note = models.TextField("修改说明", blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    audit_exclude = ("uploaded_at",)

    class Meta:
        verbose_name = "方案版本"
        verbose_name_plural = "方案版本"
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="uniq_plan_version_number")]

    def __str__(self) -> str:
        return f"{self.plan.code} 第{self.number}版"


class PlanMaterial(AuditedModel):  # 申报材料（第六条）；实施方案本身见 PlanVersion
    plan = models.ForeignKey(ImplementationPlan, verbose_name="实施方案", on_delete=models.CASCADE, related_name="materials")
    kind = models.CharField("材料类别", max_length=16, choices=MaterialKind.choices)
    file = models.FileField("文件", upload_to=plan_file_upload_to, validators=[validate_attachment])
    description = models.CharField("说明", max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    audit_exclude = ("uploaded_at",)

    class Meta:
        verbose_name = "申报材料"
        verbose_name_plural = "申报材料"
        ordering = ["plan", "kind", "-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.plan.code} {self.get_kind_display()}"


class RevisionRequest(AuditedModel):  # 修改补充告知（第八条）
    plan = models.ForeignKey(ImplementationPlan, verbose_name="实施方案", on_delete=models.CASCADE, related_name="revision_requests")
    number = models.PositiveIntegerField("轮次")
    note = models.TextField("总体意见", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="告知人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("告知时间", auto_now_add=True)

    audit_exclude = ("created_at",)

    class Meta:
        verbose_name = "修改补充告知"
        verbose_name_plural = "修改补充告知"
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="uniq_plan_revision_number")]

    def __str__(self) -> str:
        return f"{self.plan.code} 第{self.number}轮修改补充告知"


class RevisionItem(AuditedModel):  # 修改补充事项及实施主体的答复
    request = models.ForeignKey(RevisionRequest, verbose_name="修改补充告知", on_delete=models.CASCADE, related_name="items")
    number = models.PositiveIntegerField("序号")
    text = models.TextField("需修改补充的内容")
    response = models.TextField("实施主体答复", blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="答复人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField("答复时间", null=True, blank=True)

    class Meta:
        verbose_name = "修改补充事项"
        verbose_name_plural = "修改补充事项"
        ordering = ["request", "number"]
        constraints = [models.UniqueConstraint(fields=["request", "number"], name="uniq_revision_item_number")]

    def __str__(self) -> str:
        return f"{self.request} 第{self.number}项"


class ExpertReview(AuditedModel):  # 专家评审（第九条）
    plan = models.ForeignKey(ImplementationPlan, verbose_name="实施方案", on_delete=models.CASCADE, related_name="expert_reviews")
    held_on = models.DateField("评审日期")
    experts = models.CharField("评审专家", max_length=500)
    conclusion = models.CharField("评审结论", max_length=20, choices=ExpertConclusion.choices)
    opinion = models.TextField("评审意见")
    file = models.FileField("评审意见文件", upload_to=plan_file_upload_to, validators=[validate_attachment], blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    audit_exclude = ("recorded_at",)

    class Meta:
        verbose_name = "专家评审"
        verbose_name_plural = "专家评审"
        ordering = ["plan", "-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.plan.code} 专家评审 {self.held_on}（{self.get_conclusion_display()}）"


class PermitRecord(AuditedModel):  # 行政许可或备案（第十三条）
    plan = models.ForeignKey(ImplementationPlan, verbose_name="实施方案", on_delete=models.CASCADE, related_name="permits")
    kind = models.CharField("类别", max_length=16, choices=PermitKind.choices)
    mode = models.CharField("方式", max_length=8, choices=PermitMode.choices, default=PermitMode.PERMIT)
    name = models.CharField("许可或备案名称", max_length=200)
    number = models.CharField("文号/证号", max_length=100, blank=True)
    issuer = models.CharField("办理机关", max_length=200, blank=True)
    issued_on = models.DateField("办结日期")
    file = models.FileField("文件", upload_to=plan_file_upload_to, validators=[validate_attachment], blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    audit_exclude = ("recorded_at",)

    class Meta:
        verbose_name = "许可与备案"
        verbose_name_plural = "许可与备案"
        ordering = ["plan", "issued_on", "id"]

    def __str__(self) -> str:
        return f"{self.plan.code} {self.get_kind_display()}{self.get_mode_display()}：{self.name}"

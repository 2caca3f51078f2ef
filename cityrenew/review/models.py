"""Joint review (联合审查) of implementation plans: the city's matrix, the departments per district, the
review rounds of a plan, one record per department × item, opinions and their attachments.

A round is created when a plan enters 联合审查中 (``services.on_plan_transition``); its records copy the
matrix item they come from (department, points, article, quote), so a later change of the city's matrix
never rewrites a round under review. Every model is audited (``AuditedModel``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from cityrenew.core.models import AuditedModel, Organisation, Region
from cityrenew.core.uploads import validate_attachment
from cityrenew.workdays import clock

from .choices import Opinion, RoundStatus


class ReviewSettings(AuditedModel):  # 城市联合审查配置
    """A city's own review matrix (TOML, same format as the packaged one) and its due period."""

    city = models.OneToOneField(Region, verbose_name="城市", on_delete=models.PROTECT, related_name="+")
    matrix_toml = models.TextField("本市审查矩阵（TOML）", blank=True,
                                   help_text="留空则使用平台内置矩阵（北京市联审办法第十二条）")
    due_workdays = models.PositiveSmallIntegerField(
        "审查时限（工作日）", null=True, blank=True,
        help_text="《联合审查管理办法》未规定部门出具意见的时限；留空则不设期限")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = "城市联合审查配置"
        verbose_name_plural = "城市联合审查配置"

    def __str__(self) -> str:
        return f"{self.city.display_name}联合审查配置"


class ReviewDepartment(AuditedModel):  # 联审部门（矩阵部门 → 本区的组织）
    district = models.ForeignKey(Region, verbose_name="所在区", on_delete=models.PROTECT, related_name="+")
    key = models.CharField("矩阵部门", max_length=48)
    organisation = models.ForeignKey(Organisation, verbose_name="承担审查的组织", on_delete=models.PROTECT,
                                     related_name="review_departments")

    class Meta:
        verbose_name = "联审部门"
        verbose_name_plural = "联审部门"
        ordering = ["district__code", "key"]
        constraints = [models.UniqueConstraint(fields=["district", "key"], name="uniq_review_department")]

    def __str__(self) -> str:
        return f"{self.district.display_name}·{self.department_name}：{self.organisation}"

    @property
    def department_name(self) -> str:
        from .services import matrix_for

        dept = matrix_for(self.district).department(self.key)
        return dept.name if dept else self.key

    def region_ids(self) -> list[int]:
        return [self.district_id]

    def get_absolute_url(self) -> str:
        return reverse("review:reviewdepartment_detail", args=[self.pk])


class ReviewRound(AuditedModel):  # 联合审查轮次
    plan = models.ForeignKey("plans.ImplementationPlan", verbose_name="实施方案", on_delete=models.CASCADE,
                             related_name="review_rounds")
    number = models.PositiveSmallIntegerField("轮次")
    status = models.CharField("状态", max_length=16, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    matrix_version = models.CharField("审查矩阵版本", max_length=64)
    matrix_source = models.CharField("审查矩阵来源", max_length=16)
    started_at = models.DateTimeField("开始时间", default=timezone.now)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    opinion_file = models.FileField("联合审查意见", upload_to="review/opinions/", blank=True)
    opinion_sha256 = models.CharField("意见书 SHA-256", max_length=64, blank=True)

    class Meta:
        verbose_name = "联合审查轮次"
        verbose_name_plural = "联合审查轮次"
        ordering = ["-started_at", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="uniq_review_round")]

    def __str__(self) -> str:
        return f"{self.plan.code} 第{self.number}轮联合审查"

    def region_ids(self) -> list[int]:
        return [self.plan.district_id]

    def get_absolute_url(self) -> str:
        return reverse("review:round_detail", args=[self.pk])


class ReviewRecord(AuditedModel):  # 审查记录（一个部门 × 一个审查事项）
    round = models.ForeignKey(ReviewRound, verbose_name="审查轮次", on_delete=models.CASCADE, related_name="records")
    item_key = models.CharField("审查事项编码", max_length=48)
    item_title = models.CharField("审查事项", max_length=100)
    points = models.TextField("审查内容")
    department_key = models.CharField("矩阵部门", max_length=48)
    department_name = models.CharField("审查部门", max_length=100)
    organisation = models.ForeignKey(Organisation, verbose_name="承担审查的组织", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="review_records")
    document = models.CharField("依据文件", max_length=64)
    article = models.CharField("依据条款", max_length=32)
    clause = models.CharField("款项", max_length=8, blank=True)
    quote = models.TextField("条文")
    condition = models.CharField("适用情形", max_length=200, blank=True)
    due_date = models.DateField("审查期限", null=True, blank=True)
    opinion = models.CharField("审查意见", max_length=16, choices=Opinion.choices, blank=True)
    conditions = models.TextField("同意的条件", blank=True)
    reasons = models.TextField("不同意的理由", blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="出具人", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField("出具时间", null=True, blank=True)

    class Meta:
        verbose_name = "审查记录"
        verbose_name_plural = "审查记录"
        ordering = ["round", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "item_key"], name="uniq_review_record_item")]
        indexes = [models.Index(fields=["organisation", "opinion"], name="review_record_org_opinion")]

    def __str__(self) -> str:
        return f"{self.round.plan.code} · {self.department_name} · {self.item_title}"

    def region_ids(self) -> list[int]:
        return [self.round.plan.district_id]

    def get_absolute_url(self) -> str:
        return reverse("review:record_detail", args=[self.pk])

    @property
    def answered(self) -> bool:
        return bool(self.opinion)

    @property
    def overdue(self) -> bool:  # 已逾期: no opinion after the last day of the period
        return (not self.opinion and self.due_date is not None and self.round.status == RoundStatus.OPEN
                and self.due_date < clock.today())

    @property
    def citation(self):
        from cityrenew.catalogue.policies import Citation

        return Citation(self.document, self.article, self.quote)

    @property
    def where(self) -> str:
        return f"{self.article}{self.clause}"

    @property
    def point_list(self) -> list[str]:
        return [p for p in self.points.split("\n") if p]


def attachment_upload_to(instance: OpinionAttachment, filename: str) -> str:
    """A random folder per file: the original name is kept, names never collide or get guessed."""
    import uuid

    from cityrenew.core.uploads import safe_filename

    return f"review/attachments/{uuid.uuid4().hex}/{safe_filename(filename)}"


class OpinionAttachment(AuditedModel):  # 审查意见附件
    record = models.ForeignKey(ReviewRecord, verbose_name="审查记录", on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField("文件", upload_to=attachment_upload_to, validators=[validate_attachment])
    description = models.CharField("说明", max_length=300, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    audit_exclude = ("uploaded_at",)

    class Meta:
        verbose_name = "审查意见附件"
        verbose_name_plural = "审查意见附件"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.description or self.file.name.rsplit("/", 1)[-1]

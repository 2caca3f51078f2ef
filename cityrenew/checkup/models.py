"""The city check-up (城市体检): indicator sets, assessment units, runs, values, problems, evaluation.

Every model inherits :class:`~cityrenew.core.models.AuditedModel`, so each change is logged.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db import models as gis_models
from django.contrib.gis.geos import Point
from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from cityrenew.catalogue.policies import DOCUMENTS, Citation
from cityrenew.core.models import AuditedModel, Organisation, Region
from cityrenew.core.uploads import validate_attachment, validate_photo

from .choices import (
    Comparator,
    Computation,
    Department,
    Dimension,
    Direction,
    Method,
    ProblemStatus,
    Relation,
    ReviewAction,
    RunStatus,
    SetKind,
    Severity,
    TaskStatus,
    Trend,
    UnitKind,
    ValueSource,
    Verdict,
)


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


class IndicatorSet(AuditedModel):  # 指标体系（版本）
    code = models.CharField("编码", max_length=64, unique=True, help_text="如 MOHURD-2025")
    name = models.CharField("名称", max_length=200)
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("类型", max_length=16, choices=SetKind.choices, default=SetKind.NATIONAL)
    city = models.ForeignKey(
        Region, verbose_name="城市", null=True, blank=True, on_delete=models.PROTECT, related_name="indicator_sets",
        help_text="国家基础指标体系为空",
    )
    copied_from = models.ForeignKey(
        "self", verbose_name="复制自", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )
    source_document = models.CharField("依据文件", max_length=64, blank=True, help_text="政策文件编码")
    source_article = models.CharField("依据条款", max_length=200, blank=True)
    description = models.TextField("说明", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    audit_exclude = ("created_at",)

    class Meta:
        verbose_name = "指标体系"
        verbose_name_plural = "指标体系"
        ordering = ["-year", "code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def citation(self) -> Citation | None:
        if self.source_document in DOCUMENTS:
            return Citation.from_text(self.source_document, self.source_article)
        return None

    def active_indicators(self) -> models.QuerySet["Indicator"]:
        return self.indicators.filter(retired=False)


class Indicator(AuditedModel):  # 体检指标
    indicator_set = models.ForeignKey(IndicatorSet, verbose_name="指标体系", on_delete=models.CASCADE, related_name="indicators")
    number = models.PositiveSmallIntegerField("序号")
    code = models.CharField("编码", max_length=32, help_text="体系内唯一，国家指标为序号，如“22”；地方指标如“L01”")
    dimension = models.CharField("维度", max_length=16, choices=Dimension.choices)
    group = models.CharField("分组", max_length=64)
    name = models.CharField("指标名称", max_length=200)
    unit = models.CharField("计量单位", max_length=32, blank=True)
    direction = models.CharField("指标方向", max_length=24, choices=Direction.choices)
    method_text = models.CharField("数据获取方式（原文）", max_length=64, blank=True, help_text="如 reported+survey")
    method = models.CharField("主要数据获取方式", max_length=16, choices=Method.choices)
    computation = models.CharField(
        "取值方式", max_length=16, choices=Computation.choices, default=Computation.REPORTED,
        help_text="由现场问题记录计算的指标不接受填报",
    )
    report_level = models.CharField(
        "填报层级", max_length=16, choices=UnitKind.choices, blank=True,
        help_text="为空表示按全市填一个值；否则按该类体检单元逐个填报，全市值为合计",
    )
    standard = models.TextField("标准或参考值（原文）", blank=True)
    threshold = models.DecimalField("标准值", max_digits=14, decimal_places=4, null=True, blank=True)
    comparator = models.CharField("比较方式", max_length=2, choices=Comparator.choices, blank=True)
    threshold_note = models.CharField("标准值说明", max_length=300, blank=True)
    min_value = models.DecimalField("取值下限", max_digits=14, decimal_places=4, null=True, blank=True)
    max_value = models.DecimalField("取值上限", max_digits=14, decimal_places=4, null=True, blank=True)
    department = models.CharField("责任部门", max_length=16, choices=Department.choices, blank=True)
    evidence = models.TextField("佐证材料要求", blank=True)
    definition = models.TextField("指标解释", blank=True)
    # The manual's own wording (《城市体检工作手册（试行）》2025, 五、基础指标说明), shown on every page and
    # in the department templates; see cityrenew/catalogue/indicator_texts.py.
    definition_zh = models.TextField("指标解释（手册原文）", blank=True)
    method_zh = models.TextField("体检方法（手册原文）", blank=True)
    standard_zh = models.TextField("参考标准（手册原文）", blank=True)
    texts_source = models.CharField("说明出处", max_length=200, blank=True)
    source_document = models.CharField("依据文件", max_length=64, blank=True)
    source_article = models.CharField("依据条款", max_length=200, blank=True)
    source_note = models.TextField("资料来源说明", blank=True)
    is_local = models.BooleanField("地方增设", default=False)
    retired = models.BooleanField("已停用", default=False)

    class Meta:
        verbose_name = "体检指标"
        verbose_name_plural = "体检指标"
        ordering = ["indicator_set", "number"]
        constraints = [
            models.UniqueConstraint(fields=["indicator_set", "number"], name="uniq_indicator_number"),
            models.UniqueConstraint(fields=["indicator_set", "code"], name="uniq_indicator_code"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"

    @property
    def label(self) -> str:
        return f"指标{self.number}“{self.name}”"

    @property
    def citation(self) -> Citation | None:
        if self.source_document in DOCUMENTS:
            return Citation.from_text(self.source_document, self.source_article)
        return None

    @property
    def source(self) -> str:
        c = self.citation
        return str(c) if c else self.source_article

    @property
    def is_percentage(self) -> bool:
        return self.unit.strip() == "%"

    @property
    def is_computed(self) -> bool:
        return self.computation != Computation.REPORTED

    def _text(self, zh: str, en: str) -> str:
        """The manual's Chinese text; the English catalogue text only for the English UI.

        A city's own indicator keeps what the city typed (its ``definition``/``standard``)."""
        if (translation.get_language() or "").startswith("en"):
            return en or zh
        return zh or (en if self.is_local else "")

    @property
    def definition_text(self) -> str:  # 指标解释
        return self._text(self.definition_zh, self.definition)

    @property
    def standard_text(self) -> str:  # 参考标准
        return self._text(self.standard_zh, self.standard)

    def standard_display(self) -> str:
        if self.threshold is None:
            return ""
        t = self.threshold.normalize()
        t = format(t, "f")
        return f"{'≥' if self.comparator == Comparator.GE else '≤'}{t}{self.unit if self.unit == '%' else ''}"


class IndicatorMapping(AuditedModel):  # 指标版本对应关系
    from_indicator = models.ForeignKey(
        Indicator, verbose_name="原指标", null=True, blank=True, on_delete=models.CASCADE, related_name="mappings_out"
    )
    to_indicator = models.ForeignKey(
        Indicator, verbose_name="新指标", null=True, blank=True, on_delete=models.CASCADE, related_name="mappings_in"
    )
    relation = models.CharField("对应关系", max_length=16, choices=Relation.choices)
    comparable = models.BooleanField("数值可比", default=True, help_text="口径变化（如单位改变）时不可比")
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "指标对应关系"
        verbose_name_plural = "指标对应关系"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.from_indicator or '—'} → {self.to_indicator or '—'}（{self.get_relation_display()}）"


class SubProblemType(AuditedModel):  # 问题细项（如 2.1.1 混凝土结构件裂缝）
    indicator = models.ForeignKey(Indicator, verbose_name="指标", on_delete=models.CASCADE, related_name="sub_problems")
    code = models.CharField("编码", max_length=16)
    name = models.CharField("名称", max_length=200)
    default_severity = models.CharField("默认严重程度", max_length=16, choices=Severity.choices, blank=True)
    suggestion = models.CharField("整治建议", max_length=300, blank=True)

    class Meta:
        verbose_name = "问题细项"
        verbose_name_plural = "问题细项"
        ordering = ["indicator", "code"]
        constraints = [models.UniqueConstraint(fields=["indicator", "code"], name="uniq_subproblem_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AssessmentUnit(AuditedModel):  # 体检单元（住房/小区/社区/街区/城区）
    kind = models.CharField("类型", max_length=16, choices=UnitKind.choices)
    name = models.CharField("名称", max_length=200)
    code = models.CharField("编码", max_length=64, unique=True)
    city = models.ForeignKey(Region, verbose_name="城市", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(
        Region, verbose_name="所在区划", on_delete=models.PROTECT, related_name="assessment_units",
        help_text="在行政区划树中的位置（区县/街道/社区）",
    )
    parent = models.ForeignKey(
        "self", verbose_name="上级单元", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    geometry = gis_models.GeometryField("几何（WGS84）", srid=4326, null=True, blank=True, spatial_index=True)
    centroid_lon = models.FloatField("中心经度（WGS84）", null=True, blank=True)
    centroid_lat = models.FloatField("中心纬度（WGS84）", null=True, blank=True)
    attributes = models.JSONField("属性", default=dict, blank=True, help_text="如建成年代、户数、人口")
    source = models.CharField("来源", max_length=200, blank=True)

    class Meta:
        verbose_name = "体检单元"
        verbose_name_plural = "体检单元"
        ordering = ["city", "kind", "code"]
        indexes = [models.Index(fields=["city", "kind"])]

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list["AssessmentUnit"]:
        out, node, seen = [], self.parent, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            out.append(node)
            node = node.parent
        return out

    def ancestor_of_kind(self, kind: str) -> "AssessmentUnit | None":
        if self.kind == kind:
            return self
        return next((u for u in self.ancestors() if u.kind == kind), None)


class CheckupRun(AuditedModel):  # 城市体检（某城市某年度）
    city = models.ForeignKey(Region, verbose_name="城市", on_delete=models.PROTECT, related_name="checkup_runs")
    year = models.PositiveSmallIntegerField("年度")
    indicator_set = models.ForeignKey(IndicatorSet, verbose_name="指标体系", on_delete=models.PROTECT, related_name="runs")
    status = models.CharField("状态", max_length=16, choices=RunStatus.choices, default=RunStatus.IN_PROGRESS)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    evaluated_at = models.DateTimeField("评价时间", null=True, blank=True)
    report_file = models.CharField("报告文件", max_length=500, blank=True)
    note = models.TextField("说明", blank=True)

    audit_exclude = ("created_at",)

    class Meta:
        verbose_name = "城市体检"
        verbose_name_plural = "城市体检"
        ordering = ["-year", "city"]
        constraints = [models.UniqueConstraint(fields=["city", "year"], name="uniq_checkup_run_city_year")]

    def __str__(self) -> str:
        return f"{self.city.display_name}{self.year}年城市体检"

    def get_absolute_url(self) -> str:
        return _url("checkup:run_detail", self.pk)

    def previous_run(self) -> "CheckupRun | None":
        return CheckupRun.objects.filter(city=self.city, year__lt=self.year).order_by("-year").first()


class DepartmentTask(AuditedModel):  # 部门填报任务
    run = models.ForeignKey(CheckupRun, verbose_name="城市体检", on_delete=models.CASCADE, related_name="tasks")
    organisation = models.ForeignKey(Organisation, verbose_name="责任部门", on_delete=models.PROTECT, related_name="checkup_tasks")
    department = models.CharField("部门类别", max_length=16, choices=Department.choices, blank=True)
    indicators = models.ManyToManyField(Indicator, verbose_name="负责指标", related_name="tasks")
    status = models.CharField("状态", max_length=16, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提交人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    return_reason = models.TextField("退回原因", blank=True, help_text="最近一次退回的原因；历次原因见审核记录")
    deadline = models.DateField("填报截止日期", null=True, blank=True, help_text="发起体检时按统一截止日期设置，可逐个任务调整")

    class Meta:
        verbose_name = "部门填报任务"
        verbose_name_plural = "部门填报任务"
        ordering = ["run", "organisation__name"]
        constraints = [models.UniqueConstraint(fields=["run", "organisation"], name="uniq_task_run_org")]

    def __str__(self) -> str:
        return f"{self.run} · {self.organisation}"

    def get_absolute_url(self) -> str:
        return _url("checkup:task_detail", self.pk)

    @property
    def editable(self) -> bool:
        return self.status in (TaskStatus.PENDING, TaskStatus.RETURNED)

    @property
    def overdue(self) -> bool:
        """Past its deadline (Beijing date) and still waiting for the department."""
        from django.utils import timezone

        return bool(self.deadline and self.editable and self.deadline < timezone.localdate())


class TaskReview(AuditedModel):  # 审核记录（提交/退回/通过，每次一行）
    task = models.ForeignKey(DepartmentTask, verbose_name="填报任务", on_delete=models.CASCADE, related_name="reviews")
    action = models.CharField("动作", max_length=16, choices=ReviewAction.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.TextField("意见或原因", blank=True)
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "审核记录"
        verbose_name_plural = "审核记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.task} {self.get_action_display()}"


class IndicatorValue(AuditedModel):  # 指标值
    run = models.ForeignKey(CheckupRun, verbose_name="城市体检", on_delete=models.CASCADE, related_name="values")
    indicator = models.ForeignKey(Indicator, verbose_name="指标", on_delete=models.PROTECT, related_name="values")
    unit = models.ForeignKey(
        AssessmentUnit, verbose_name="体检单元", null=True, blank=True, on_delete=models.PROTECT, related_name="values",
        help_text="为空表示全市",
    )
    task = models.ForeignKey(DepartmentTask, verbose_name="填报任务", null=True, blank=True, on_delete=models.SET_NULL, related_name="values")
    value = models.DecimalField("数值", max_digits=20, decimal_places=4)
    note = models.CharField("备注", max_length=300, blank=True)
    source = models.CharField("来源", max_length=16, choices=ValueSource.choices, default=ValueSource.REPORTED)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="填报人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = "指标值"
        verbose_name_plural = "指标值"
        ordering = ["run", "indicator__number", "unit__code"]
        constraints = [
            models.UniqueConstraint(fields=["run", "indicator", "unit"], name="uniq_value_run_indicator_unit"),
            models.UniqueConstraint(
                fields=["run", "indicator"], condition=Q(unit__isnull=True), name="uniq_value_run_indicator_city"
            ),
        ]

    def __str__(self) -> str:
        where = self.unit.name if self.unit_id else "全市"
        return f"{self.indicator.number}. {self.indicator.name} · {where} = {self.value}"


def evidence_upload_to(instance: "Evidence", filename: str) -> str:
    return f"checkup/evidence/{filename}"


class Evidence(AuditedModel):  # 佐证材料
    value = models.ForeignKey(IndicatorValue, verbose_name="指标值", null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    task = models.ForeignKey(DepartmentTask, verbose_name="填报任务", null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField("文件", upload_to=evidence_upload_to, validators=[validate_attachment])
    description = models.CharField("说明", max_length=300, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    audit_exclude = ("uploaded_at",)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.description or self.file.name


class RemediationTask(AuditedModel):  # 整治任务（整治建议清单中的一项）
    run = models.ForeignKey(CheckupRun, verbose_name="城市体检", on_delete=models.CASCADE, related_name="remediation_tasks")
    title = models.CharField("任务名称", max_length=300)
    organisation = models.ForeignKey(Organisation, verbose_name="责任单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    suggestion = models.TextField("整治建议", blank=True)
    status = models.CharField("状态", max_length=16, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    due_year = models.PositiveSmallIntegerField("完成年份", null=True, blank=True)
    project = models.ForeignKey(
        "projects.RenewalProject", verbose_name="更新项目", null=True, blank=True, on_delete=models.SET_NULL, related_name="remediation_tasks"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    audit_exclude = ("created_at",)

    class Meta:
        verbose_name = "整治任务"
        verbose_name_plural = "整治任务"
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return self.title


class FieldProblem(AuditedModel):  # 现场问题（问题清单中的一条）
    run = models.ForeignKey(CheckupRun, verbose_name="城市体检", on_delete=models.CASCADE, related_name="problems")
    indicator = models.ForeignKey(Indicator, verbose_name="指标", on_delete=models.PROTECT, related_name="problems")
    sub_problem = models.ForeignKey(
        SubProblemType, verbose_name="问题细项", null=True, blank=True, on_delete=models.PROTECT, related_name="problems"
    )
    unit = models.ForeignKey(AssessmentUnit, verbose_name="体检单元", on_delete=models.PROTECT, related_name="problems")
    severity = models.CharField("严重程度", max_length=16, choices=Severity.choices, default=Severity.GENERAL)
    description = models.TextField("问题描述", blank=True)
    lon = models.FloatField("经度（WGS84）", null=True, blank=True)
    lat = models.FloatField("纬度（WGS84）", null=True, blank=True)
    location = gis_models.GeometryField("位置（WGS84）", srid=4326, null=True, blank=True, spatial_index=True)
    suggestion = models.TextField("整治建议", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)
    status = models.CharField("整治状态", max_length=16, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    project = models.ForeignKey(
        "projects.RenewalProject", verbose_name="更新项目", null=True, blank=True, on_delete=models.SET_NULL, related_name="checkup_problems"
    )
    remediation_task = models.ForeignKey(
        RemediationTask, verbose_name="整治任务", null=True, blank=True, on_delete=models.SET_NULL, related_name="problems"
    )

    audit_exclude = ("recorded_at",)

    class Meta:
        verbose_name = "现场问题"
        verbose_name_plural = "现场问题"
        ordering = ["run", "indicator__number", "id"]
        indexes = [models.Index(fields=["run", "indicator"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        what = self.sub_problem.name if self.sub_problem_id else self.indicator.name
        return f"{self.unit.name}：{what}"

    def get_absolute_url(self) -> str:
        return _url("checkup:problem_detail", self.pk)

    def save(self, *args, **kwargs) -> None:
        if self.lon is not None and self.lat is not None:
            self.location = Point(self.lon, self.lat, srid=4326)
        elif self.lon is None and self.lat is None:
            self.location = None
        super().save(*args, **kwargs)


def photo_upload_to(instance: "ProblemPhoto", filename: str) -> str:
    return f"checkup/photos/{filename}"


class ProblemPhoto(AuditedModel):  # 问题照片
    problem = models.ForeignKey(FieldProblem, verbose_name="问题", on_delete=models.CASCADE, related_name="photos")
    image = models.FileField("照片", upload_to=photo_upload_to, validators=[validate_photo])
    caption = models.CharField("说明", max_length=200, blank=True)
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    audit_exclude = ("uploaded_at",)

    class Meta:
        verbose_name = "问题照片"
        verbose_name_plural = "问题照片"

    def __str__(self) -> str:
        return self.caption or self.image.name


class Evaluation(AuditedModel):  # 指标评价结果
    run = models.ForeignKey(CheckupRun, verbose_name="城市体检", on_delete=models.CASCADE, related_name="evaluations")
    indicator = models.ForeignKey(Indicator, verbose_name="指标", on_delete=models.CASCADE, related_name="evaluations")
    value = models.DecimalField("数值", max_digits=20, decimal_places=4, null=True, blank=True)
    standard = models.CharField("标准", max_length=300, blank=True)
    verdict = models.CharField("评价结论", max_length=16, choices=Verdict.choices)
    previous_value = models.DecimalField("上年数值", max_digits=20, decimal_places=4, null=True, blank=True)
    trend = models.CharField("与上年比较", max_length=16, choices=Trend.choices, default=Trend.NOT_COMPARABLE)
    warning = models.CharField("预警", max_length=300, blank=True)
    computed_at = models.DateTimeField("计算时间", auto_now=True)

    audit_exclude = ("computed_at",)

    class Meta:
        verbose_name = "指标评价"
        verbose_name_plural = "指标评价"
        ordering = ["run", "indicator__number"]
        constraints = [models.UniqueConstraint(fields=["run", "indicator"], name="uniq_evaluation_run_indicator")]

    def __str__(self) -> str:
        return f"{self.indicator} {self.get_verdict_display()}"


def value_as_text(value: Decimal | None) -> str:
    """A value as shown in tables and reports: no trailing zeros (12.5000 → 12.5)."""
    if value is None:
        return ""
    v = value.normalize()
    return format(v, "f") if v != v.to_integral() else format(v.to_integral(), "f")

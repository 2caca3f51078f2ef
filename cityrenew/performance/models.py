"""Performance (绩效): target tables, their results → indicators → yearly periods, evidence, evaluations.

After Akvo RSR's results framework: a :class:`TargetTable` (三年行动总体绩效目标表 or 年度绩效目标表, per city and
optionally per project) holds :class:`Result` rows (绩效目标), each with :class:`Indicator` rows (unit, direction),
each with one :class:`Period` per year (baseline, target, actual). Evidence files hang on a period, an evaluation
or a residents' evaluation. A table is filed (盖章备案) once: then its targets are read-only (财办建〔2025〕11号
六、（四）) and only the actual values of its periods may be recorded. Figures are Decimal in the indicator's unit.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from cityrenew.core.models import AuditedModel, Region
from cityrenew.core.uploads import validate_attachment

from .choices import OVERALL_YEARS, Direction, TableKind, TableState

VALUE = {"max_digits": 18, "decimal_places": 4, "null": True, "blank": True,
         "validators": [MinValueValidator(Decimal("0"), message="不能为负数")]}
YEAR = [MinValueValidator(2000, message="年度应在 2000–2100 之间"), MaxValueValidator(2100, message="年度应在 2000–2100 之间")]
SEALED = "绩效目标表“{table}”已于 {when} 盖章备案，目标内容不能再修改（财办建〔2025〕11号 六、（四））；如需调整，请按程序另行报备"


class SealedTableError(ValidationError):
    """A change to a filed (sealed) target table, refused (message in Chinese)."""


def _sealed(table: "TargetTable") -> SealedTableError:
    when = table.filed_at.strftime("%Y-%m-%d") if table.filed_at else ""
    return SealedTableError(SEALED.format(table=table, when=when), code="sealed")


def scan_upload_to(instance: "TargetTable", filename: str) -> str:
    return f"performance/sealed/{filename}"


def evidence_upload_to(instance: "Evidence", filename: str) -> str:
    return f"performance/evidence/{filename}"


class TargetTable(AuditedModel):  # 绩效目标表
    city = models.ForeignKey(Region, verbose_name="城市", on_delete=models.PROTECT, related_name="+",
                             limit_choices_to={"level": "city"})
    project = models.ForeignKey("projects.RenewalProject", verbose_name="项目", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="performance_tables",
                                help_text="留空为全市的目标表（中央财政支持城市更新行动）")
    kind = models.CharField("类型", max_length=16, choices=TableKind.choices)
    year = models.PositiveSmallIntegerField("年度", validators=YEAR, help_text="年度表为该年度；三年行动总体表为起始年度")
    title = models.CharField("名称", max_length=200, blank=True)
    note = models.TextField("说明", blank=True)
    state = models.CharField("状态", max_length=16, choices=TableState.choices, default=TableState.DRAFT, editable=False)
    sealed_scan = models.FileField("盖章文件扫描件", upload_to=scan_upload_to, validators=[validate_attachment], blank=True,
                                   editable=False)
    filed_at = models.DateTimeField("备案时间", null=True, blank=True, editable=False)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="备案人", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+", editable=False)

    class Meta:
        verbose_name = "绩效目标表"
        verbose_name_plural = "绩效目标表"
        ordering = ["city", "kind", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["city", "kind", "year"], condition=models.Q(project__isnull=True),
                                    name="uniq_city_target_table"),
            models.UniqueConstraint(fields=["city", "project", "kind", "year"], name="uniq_project_target_table"),
        ]

    def __str__(self) -> str:
        if self.title:
            return self.title
        who = self.project.name if self.project_id else (self.city.name if self.city_id else "")
        if self.kind == TableKind.OVERALL:
            return f"{who}{self.year}—{self.year + OVERALL_YEARS - 1}年三年行动总体绩效目标表"
        return f"{who}{self.year}年度绩效目标表"

    def get_absolute_url(self) -> str:
        return reverse("performance:targettable_detail", args=[self.pk])

    def region_ids(self) -> list[int]:
        return [self.city_id] if self.city_id else []

    @property
    def is_filed(self) -> bool:
        return self.state == TableState.FILED

    @property
    def was_filed(self) -> bool:
        """Filed as stored in the database (an instance being filed right now is not yet)."""
        return getattr(self, "_audit_loaded", {}).get("state") == TableState.FILED

    def years(self) -> list[int]:
        """The years this table sets targets for."""
        if self.year is None:
            return []
        return list(range(self.year, self.year + OVERALL_YEARS)) if self.kind == TableKind.OVERALL else [self.year]

    def indicators(self) -> models.QuerySet["Indicator"]:
        return Indicator.objects.filter(result__table=self)

    def clean(self) -> None:
        if self.city_id and self.city.level != "city":
            raise ValidationError({"city": "请选择市级区划"})
        if self.project_id and self.city_id and self.project.city_id != self.city_id:
            raise ValidationError({"project": f"项目“{self.project}”不属于{self.city.name}"})

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and self.was_filed and self.audit_diff():
            raise _sealed(self)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any):
        if self.is_filed:
            raise _sealed(self)
        return super().delete(*args, **kwargs)


class _SealedChild(AuditedModel):
    """A row of a table: refused to change once its table is filed (except the fields in ``open_fields``)."""

    open_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def target_table(self) -> TargetTable:
        raise NotImplementedError

    def region_ids(self) -> list[int]:
        return self.target_table().region_ids()

    def save(self, *args: Any, **kwargs: Any) -> None:
        table = self.target_table()
        if table.is_filed:
            changed = set(self.audit_diff()) if self.pk is not None else {"*"}
            if changed - set(self.open_fields):
                raise _sealed(table)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any):
        table = self.target_table()
        if table.is_filed:
            raise _sealed(table)
        return super().delete(*args, **kwargs)


class Result(_SealedChild):  # 绩效目标（结果）
    table = models.ForeignKey(TargetTable, verbose_name="绩效目标表", on_delete=models.CASCADE, related_name="results")
    title = models.CharField("绩效目标", max_length=300)
    description = models.TextField("说明", blank=True)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "绩效目标"
        verbose_name_plural = "绩效目标"
        ordering = ["table", "order", "pk"]

    def __str__(self) -> str:
        return self.title

    def target_table(self) -> TargetTable:
        return self.table

    def get_absolute_url(self) -> str:
        return self.table.get_absolute_url() + f"#result-{self.pk}"


class Indicator(_SealedChild):  # 绩效指标
    result = models.ForeignKey(Result, verbose_name="绩效目标", on_delete=models.CASCADE, related_name="indicators")
    name = models.CharField("指标名称", max_length=200)
    unit = models.CharField("计量单位", max_length=32, help_text="如 个、公里、%、户")
    direction = models.CharField("指标方向", max_length=16, choices=Direction.choices, default=Direction.INCREASE)
    order = models.PositiveSmallIntegerField("排序", default=0)
    note = models.CharField("口径说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "绩效指标"
        verbose_name_plural = "绩效指标"
        ordering = ["result", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.name}（{self.unit}）"

    def target_table(self) -> TargetTable:
        return self.result.table

    def get_absolute_url(self) -> str:
        return self.result.table.get_absolute_url() + f"#indicator-{self.pk}"


class Period(_SealedChild):  # 指标年度值（基线、目标、实际）
    open_fields = ("actual", "actual_note", "actual_by", "actual_at")

    indicator = models.ForeignKey(Indicator, verbose_name="绩效指标", on_delete=models.CASCADE, related_name="periods")
    year = models.PositiveSmallIntegerField("年度", validators=YEAR)
    baseline = models.DecimalField("基线值", **VALUE)
    target = models.DecimalField("目标值", **VALUE)
    actual = models.DecimalField("实际值", **VALUE)
    actual_note = models.CharField("实际值说明", max_length=300, blank=True)
    actual_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="实际值填报人", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+", editable=False)
    actual_at = models.DateTimeField("实际值填报时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "指标年度值"
        verbose_name_plural = "指标年度值"
        ordering = ["indicator", "year"]
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="uniq_indicator_period")]

    def __str__(self) -> str:
        return f"{self.indicator.name} {self.year}年"

    def target_table(self) -> TargetTable:
        return self.indicator.result.table

    def get_absolute_url(self) -> str:
        return self.indicator.get_absolute_url()

    @property
    def achieved(self) -> bool | None:
        """Whether the actual value reaches the target in the indicator's direction (None: not known yet)."""
        if self.actual is None or self.target is None:
            return None
        if self.indicator.direction == Direction.DECREASE:
            return self.actual <= self.target
        return self.actual >= self.target


class Evaluation(AuditedModel):  # 年度绩效评价
    city = models.ForeignKey(Region, verbose_name="城市", on_delete=models.PROTECT, related_name="+",
                             limit_choices_to={"level": "city"})
    year = models.PositiveSmallIntegerField("评价年度", validators=YEAR)
    evaluator = models.CharField("评价方", max_length=200, help_text="如 财政部、住房城乡建设部，或受托第三方机构")
    score = models.DecimalField("评价得分", max_digits=5, decimal_places=2, null=True, blank=True,
                                validators=[MinValueValidator(Decimal("0"), message="得分应在 0–100 之间"),
                                            MaxValueValidator(Decimal("100"), message="得分应在 0–100 之间")],
                                help_text="评价方给出的百分制得分（照录，本平台不计算）")
    grade = models.CharField("评价等级", max_length=32, blank=True, help_text="照录评价方给出的等级")
    conclusion = models.TextField("评价结论")
    evaluated_on = models.DateField("评价日期", null=True, blank=True)

    class Meta:
        verbose_name = "年度绩效评价"
        verbose_name_plural = "年度绩效评价"
        ordering = ["city", "-year"]
        constraints = [models.UniqueConstraint(fields=["city", "year"], name="uniq_city_evaluation")]

    def __str__(self) -> str:
        return f"{self.city.name if self.city_id else ''}{self.year}年度绩效评价"

    def get_absolute_url(self) -> str:
        return reverse("performance:evaluation_detail", args=[self.pk])

    def region_ids(self) -> list[int]:
        return [self.city_id] if self.city_id else []

    def clean(self) -> None:
        if self.city_id and self.city.level != "city":
            raise ValidationError({"city": "请选择市级区划"})


class ResidentEvaluation(AuditedModel):  # 城镇老旧小区改造效果共评（居民评价）
    region = models.ForeignKey(Region, verbose_name="所在区域", on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey("ledgers.OldCommunity", verbose_name="老旧小区", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="resident_evaluations")
    project = models.ForeignKey("projects.RenewalProject", verbose_name="项目", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="resident_evaluations")
    year = models.PositiveSmallIntegerField("年度", validators=YEAR)
    held_on = models.DateField("评价日期")
    respondents = models.PositiveIntegerField("参评居民（户）")
    satisfied = models.PositiveIntegerField("满意（户）", default=0)
    basically_satisfied = models.PositiveIntegerField("基本满意（户）", default=0)
    dissatisfied = models.PositiveIntegerField("不满意（户）", default=0)
    comments = models.TextField("居民意见", blank=True)
    response = models.TextField("整改与反馈", blank=True)

    class Meta:
        verbose_name = "效果共评"
        verbose_name_plural = "效果共评"
        ordering = ["-held_on", "pk"]

    def __str__(self) -> str:
        what = self.community.name if self.community_id else (self.project.name if self.project_id else "")
        return f"{what} {self.held_on:%Y-%m-%d} 效果共评" if self.held_on else f"{what} 效果共评"

    def get_absolute_url(self) -> str:
        return reverse("performance:residentevaluation_detail", args=[self.pk])

    def region_ids(self) -> list[int]:
        return [self.region_id] if self.region_id else []

    @property
    def answered(self) -> int:
        return (self.satisfied or 0) + (self.basically_satisfied or 0) + (self.dissatisfied or 0)

    @property
    def satisfaction_rate(self) -> Decimal | None:
        """(满意 + 基本满意) ÷ 参评居民 × 100, in %, 1 place (None when nobody took part)."""
        if not self.respondents:
            return None
        rate = Decimal(self.satisfied + self.basically_satisfied) * 100 / Decimal(self.respondents)
        return rate.quantize(Decimal("0.1"))

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not self.community_id and not self.project_id:
            errors["community"] = "请选择老旧小区或项目（至少一项）"
        if self.respondents is not None and self.answered > self.respondents:
            errors["respondents"] = (f"满意、基本满意、不满意合计 {self.answered} 户，超过参评居民 {self.respondents} 户")
        if self.held_on and self.year and self.held_on.year != self.year:
            errors["held_on"] = f"评价日期 {self.held_on:%Y-%m-%d} 不在 {self.year} 年度内"
        if errors:
            raise ValidationError(errors)


class Evidence(AuditedModel):  # 佐证材料
    period = models.ForeignKey(Period, verbose_name="指标年度值", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="evidence")
    evaluation = models.ForeignKey(Evaluation, verbose_name="年度绩效评价", null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="files")
    resident_evaluation = models.ForeignKey(ResidentEvaluation, verbose_name="效果共评", null=True, blank=True,
                                            on_delete=models.CASCADE, related_name="files")
    file = models.FileField("文件", upload_to=evidence_upload_to, validators=[validate_attachment])
    description = models.CharField("说明", max_length=300, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+", editable=False)
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    audit_exclude = ("uploaded_at",)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["uploaded_at", "pk"]
        constraints = [models.CheckConstraint(
            condition=(models.Q(period__isnull=False, evaluation__isnull=True, resident_evaluation__isnull=True)
                       | models.Q(period__isnull=True, evaluation__isnull=False, resident_evaluation__isnull=True)
                       | models.Q(period__isnull=True, evaluation__isnull=True, resident_evaluation__isnull=False)),
            name="evidence_one_owner")]

    def __str__(self) -> str:
        return self.description or self.file.name.rsplit("/", 1)[-1]

    @property
    def owner(self) -> Any:
        return self.period or self.evaluation or self.resident_evaluation

    def region_ids(self) -> Iterable[int]:
        return self.owner.region_ids()

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]

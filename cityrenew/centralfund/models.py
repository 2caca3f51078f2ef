"""The central-fund application and selection (中央财政支持实施城市更新行动申报与遴选, 财办建〔2025〕11号).

The city's side: an :class:`Application` (one per city and year) with its three eligibility conditions
(:class:`EligibilityCondition`, 二、 1.–3.), flagship projects/areas (:class:`FlagshipItem`, 四、（二）1.),
mechanism-building items (:class:`MechanismItem`, 四、（二）2.) and the electronic package
(:class:`ApplicationFile`, ≤ 8GB, 六、（一）). The ministry's side: a :class:`SelectionRound` per year
with its :class:`Candidate` cities (every recommended city in the country, by name; the one in this
installation linked to its application) and their scores. :class:`ProvinceCapRegion` is the editable
province → region table for the subsidy caps (四、（一））. Amounts of subsidy in 亿元.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from cityrenew.core.models import AuditedModel
from cityrenew.core.uploads import safe_filename, validate_attachment

from . import rules
from .choices import (
    ApplicationState,
    CandidateStatus,
    CapRegion,
    Condition,
    FileKind,
    FlagshipCategory,
    FlagshipKind,
    MechanismCategory,
    Medium,
    RoundStage,
    SizeClass,
)

SCORE = {"max_digits": 5, "decimal_places": 2, "null": True, "blank": True,
         "validators": [MinValueValidator(rules.SCORE_MIN), MaxValueValidator(rules.SCORE_MAX)]}


class ProvinceCapRegion(AuditedModel):  # 省份补助区域（可修改的默认表）
    province = models.CharField("省份", max_length=32, unique=True)
    region = models.CharField("补助区域", max_length=16, choices=CapRegion.choices)
    basis = models.CharField("依据", max_length=300, blank=True)

    class Meta:
        verbose_name = "省份补助区域"
        verbose_name_plural = "省份补助区域"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.province}：{self.get_region_display()}"

    @property
    def cap_yi(self) -> Decimal:
        return rules.CAPS_YI[self.region]

    def get_absolute_url(self) -> str:
        return reverse("centralfund:caps")


class Application(AuditedModel):  # 中央财政支持城市更新行动申报
    city = models.ForeignKey("core.Region", verbose_name="申报城市", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度", default=2025)
    state = models.CharField("状态", max_length=24, choices=ApplicationState.choices, default=ApplicationState.DRAFT)
    size_class = models.CharField("城市规模", max_length=16, choices=SizeClass.choices, default=SizeClass.LARGE)
    key_basin = models.CharField("重点流域", max_length=64, blank=True, help_text="如 黄河、珠江（二、：向重点流域沿线大城市倾斜）")
    old_city_scope = models.TextField("实施范围（老城区）", blank=True, help_text="工作方案的具体实施范围，集中在城市老城区")
    objectives = models.TextField("工作目标", blank=True)
    requested_subsidy = models.DecimalField("申请中央补助（亿元）", max_digits=8, decimal_places=2, null=True, blank=True,
                                            validators=[MinValueValidator(Decimal("0"))])
    reason = models.CharField("取消资格/未通过原因", max_length=500, blank=True)
    authenticity_commitment = models.BooleanField("对报送内容真实性负责", default=False)

    class Meta:
        verbose_name = "中央财政支持申报"
        verbose_name_plural = "中央财政支持申报"
        ordering = ["-year", "city"]
        constraints = [models.UniqueConstraint(fields=["city", "year"], name="uniq_centralfund_application")]

    def __str__(self) -> str:
        return f"{self.city.name} {self.year}年度申报"

    def get_absolute_url(self) -> str:
        return reverse("centralfund:application_detail", args=[self.pk])

    def region_ids(self) -> list[int]:
        return [self.city_id]

    @property
    def province(self):
        return self.city.parent

    @property
    def province_name(self) -> str:
        return self.province.name if self.province else self.city.name

    @property
    def is_municipality(self) -> bool:
        from .caps import region_of

        return region_of(self.province_name).region == CapRegion.MUNICIPALITY

    def package_bytes(self) -> int:
        return sum(self.files.values_list("size", flat=True))


class EligibilityCondition(AuditedModel):  # 申报基础条件（二、 1.–3.）
    application = models.ForeignKey(Application, verbose_name="申报", on_delete=models.CASCADE, related_name="conditions")
    condition = models.PositiveSmallIntegerField("条件", choices=Condition.choices)
    met = models.BooleanField("是否满足", null=True, blank=True)
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "申报基础条件"
        verbose_name_plural = "申报基础条件"
        ordering = ["application", "condition"]
        constraints = [models.UniqueConstraint(fields=["application", "condition"], name="uniq_centralfund_condition")]

    def __str__(self) -> str:
        return f"基础条件{self.condition}"

    def region_ids(self) -> list[int]:
        return [self.application.city_id]

    def evidence(self):
        return self.application.files.filter(kind=f"condition_{self.condition}")


def file_upload_to(instance: "ApplicationFile", filename: str) -> str:
    return f"centralfund/{instance.application_id}/{safe_filename(filename)}"


class ApplicationFile(AuditedModel):  # 申报材料（电子版）
    application = models.ForeignKey(Application, verbose_name="申报", on_delete=models.CASCADE, related_name="files")
    kind = models.CharField("类别", max_length=24, choices=FileKind.choices)
    medium = models.CharField("报送方式", max_length=8, choices=Medium.choices, default=Medium.EMAIL)
    name = models.CharField("名称", max_length=200)
    file = models.FileField("文件", upload_to=file_upload_to, blank=True, validators=[validate_attachment])
    size = models.PositiveBigIntegerField("大小（字节）", default=0)
    classified_checked = models.BooleanField("已确认不含涉密内容", default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "申报材料"
        verbose_name_plural = "申报材料"
        ordering = ["application", "kind", "id"]

    def __str__(self) -> str:
        return self.name

    def region_ids(self) -> list[int]:
        return [self.application.city_id]


class FlagshipItem(AuditedModel):  # 样板项目 / 样板片区（四、（二）1.）
    application = models.ForeignKey(Application, verbose_name="申报", on_delete=models.CASCADE, related_name="flagships")
    kind = models.CharField("类型", max_length=8, choices=FlagshipKind.choices, default=FlagshipKind.PROJECT)
    category = models.PositiveSmallIntegerField("支持方向", choices=FlagshipCategory.choices)
    name = models.CharField("名称", max_length=200)
    description = models.TextField("内容", blank=True)
    investment = models.DecimalField("总投资（亿元）", max_digits=10, decimal_places=2, null=True, blank=True,
                                     validators=[MinValueValidator(Decimal("0"))])
    projects = models.ManyToManyField("projects.RenewalProject", verbose_name="项目库项目", blank=True, related_name="+")

    class Meta:
        verbose_name = "样板项目/片区"
        verbose_name_plural = "样板项目/片区"
        ordering = ["application", "category", "id"]

    def __str__(self) -> str:
        return self.name

    def region_ids(self) -> list[int]:
        return [self.application.city_id]


class MechanismItem(AuditedModel):  # 机制建设（四、（二）2.）
    application = models.ForeignKey(Application, verbose_name="申报", on_delete=models.CASCADE, related_name="mechanisms")
    category = models.PositiveSmallIntegerField("机制类别", choices=MechanismCategory.choices)
    name = models.CharField("名称", max_length=200)
    description = models.TextField("内容", blank=True)

    class Meta:
        verbose_name = "机制建设事项"
        verbose_name_plural = "机制建设事项"
        ordering = ["application", "category", "id"]

    def __str__(self) -> str:
        return self.name

    def region_ids(self) -> list[int]:
        return [self.application.city_id]


class ApplicationTransition(models.Model):  # 申报状态流转记录
    application = models.ForeignKey(Application, verbose_name="申报", on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField("原状态", max_length=24, choices=ApplicationState.choices)
    to_state = models.CharField("新状态", max_length=24, choices=ApplicationState.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField("时间", auto_now_add=True)
    note = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        verbose_name = "申报状态流转"
        verbose_name_plural = "申报状态流转"
        ordering = ["at", "id"]


class SelectionRound(AuditedModel):  # 遴选批次（财政部、住房城乡建设部）
    year = models.PositiveSmallIntegerField("年度", unique=True)
    places = models.PositiveSmallIntegerField("评选名额", default=rules.DEFAULT_PLACES, validators=[MinValueValidator(1)])
    written_weight = models.DecimalField("书面评审权重", max_digits=3, decimal_places=2, default=rules.DEFAULT_WRITTEN_WEIGHT,
                                         validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
                                         help_text="综合得分 = 书面评审得分 × 权重 + 现场答辩得分 × (1 − 权重)；通知未规定，默认0.5")
    stage = models.CharField("阶段", max_length=16, choices=RoundStage.choices, default=RoundStage.WRITTEN)
    publicity_end = models.DateField("公示截止日期", null=True, blank=True, help_text="通知未规定公示期长度")

    class Meta:
        verbose_name = "遴选批次"
        verbose_name_plural = "遴选批次"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}年度中央财政支持城市更新遴选"

    def get_absolute_url(self) -> str:
        return reverse("centralfund:round_detail", args=[self.pk])

    @property
    def shortlist_size(self) -> int:
        return rules.shortlist_size(self.places)

    @property
    def defence_weight(self) -> Decimal:
        return Decimal("1") - self.written_weight


class Candidate(AuditedModel):  # 参评城市
    round = models.ForeignKey(SelectionRound, verbose_name="遴选批次", on_delete=models.CASCADE, related_name="candidates")
    city = models.CharField("城市", max_length=64)
    province = models.CharField("省份", max_length=32)
    application = models.OneToOneField(Application, verbose_name="本系统申报", null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="candidate")
    written_score = models.DecimalField("书面评审得分", **SCORE)
    defence_score = models.DecimalField("现场答辩得分", **SCORE)
    combined_score = models.DecimalField("综合得分", **SCORE)
    rank = models.PositiveSmallIntegerField("书面评审排名", null=True, blank=True)
    status = models.CharField("状态", max_length=16, choices=CandidateStatus.choices, default=CandidateStatus.IN_REVIEW)
    reason = models.CharField("取消资格原因", max_length=500, blank=True)

    class Meta:
        verbose_name = "参评城市"
        verbose_name_plural = "参评城市"
        ordering = ["round", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "province"], name="uniq_centralfund_candidate_province"),
            models.UniqueConstraint(fields=["round", "city"], name="uniq_centralfund_candidate_city"),
        ]

    def __str__(self) -> str:
        return f"{self.city}（{self.province}）"

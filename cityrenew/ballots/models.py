"""Owners' votes on an implementation plan (业主表决).

A :class:`Vote` belongs to a plan (``plans.ImplementationPlan``); its electorate is a register of 专有部分
(:class:`OwnerUnit`, imported from the real-estate register, 建筑物区分所有权解释第八条). Each unit gets a
one-time code (only its SHA-256 is stored); a :class:`Ballot` is one person's vote (解释第九条: all units of
one buyer are one person, the developer's unsold units are one person) and covers all their units. The
rules, what is hidden before close and how the tally is certified are in ``services.py`` and docs/ballots.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from cityrenew.consent.tally import DEVELOPER
from cityrenew.core.models import AuditedModel
from cityrenew.core.uploads import validate_attachment

from .choices import Choice, Matter, Source


class Vote(AuditedModel):  # 业主表决
    plan = models.ForeignKey("plans.ImplementationPlan", verbose_name="实施方案", on_delete=models.PROTECT,
                             related_name="votes")
    title = models.CharField("表决事项", max_length=300)
    matter = models.CharField("事项类型", max_length=16, choices=Matter.choices, default=Matter.MAJOR)
    building = models.CharField("楼栋", max_length=32, blank=True, help_text="加装电梯表决：该电梯所在楼栋")
    unit = models.CharField("单元", max_length=32, blank=True, help_text="加装电梯表决：该电梯所在单元")
    description = models.TextField("表决说明", blank=True, help_text="在公开表决页面向业主展示")
    opens_at = models.DateTimeField("开始时间")
    closes_at = models.DateTimeField("截止时间")
    # set once, after close, by services.finalize (the tally and the SHA-256 of the ballot list)
    tallied_at = models.DateTimeField("计票时间", null=True, blank=True, editable=False)
    result = models.JSONField("计票结果", null=True, blank=True, editable=False)
    ballots_sha256 = models.CharField("表决清单SHA-256", max_length=64, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    audit_exclude = ("created_at",)

    class Meta:
        verbose_name = "业主表决"
        verbose_name_plural = "业主表决"
        ordering = ["-opens_at", "-id"]

    def __str__(self) -> str:
        return f"{self.plan.code} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("ballots:vote_detail", args=[self.pk])

    def region_ids(self) -> list[int]:
        return [self.plan.district_id]

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    def is_closed(self, now=None) -> bool:
        return (now or timezone.now()) >= self.closes_at

    @property
    def status_label(self) -> str:
        now = timezone.now()
        if now < self.opens_at:
            return "未开始"
        return "表决中" if now < self.closes_at else "已截止"


class OwnerUnit(AuditedModel):  # 专有部分（业主名册一行）
    vote = models.ForeignKey(Vote, verbose_name="业主表决", on_delete=models.CASCADE, related_name="units")
    building = models.CharField("楼栋", max_length=32)
    unit = models.CharField("单元", max_length=32)
    room = models.CharField("房号", max_length=32)
    owner = models.CharField("业主", max_length=200, help_text="不动产登记簿记载的业主；共有人写作一人，如“张三、李四”")
    area = models.DecimalField("专有部分面积（平方米）", max_digits=12, decimal_places=2)
    developer_unsold = models.BooleanField("建设单位未售或未交付", default=False)
    code_hash = models.CharField("表决码SHA-256", max_length=64, blank=True, db_index=True, editable=False)
    code_issued_at = models.DateTimeField("表决码发放时间", null=True, blank=True, editable=False)
    code_used_at = models.DateTimeField("表决码使用时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "专有部分"
        verbose_name_plural = "业主名册"
        ordering = ["building", "unit", "room"]
        constraints = [models.UniqueConstraint(fields=["vote", "building", "unit", "room"], name="ballots_unit_unique")]

    def __str__(self) -> str:
        return f"{self.building}-{self.unit}-{self.room}"

    # the code's hash never goes to the audit log; issuing and re-issuing show as code_issued_at
    audit_exclude = ("code_hash",)

    @property
    def label(self) -> str:
        return f"{self.building}栋{self.unit}单元{self.room}"

    @property
    def person(self) -> str:
        """Who the unit counts as (解释第九条): the developer for unsold units, else the registered owner."""
        return DEVELOPER if self.developer_unsold else self.owner


class Ballot(AuditedModel):  # 表决票（一人一票，覆盖其全部专有部分）
    vote = models.ForeignKey(Vote, verbose_name="业主表决", on_delete=models.CASCADE, related_name="ballots")
    person = models.CharField("业主", max_length=200)
    choice = models.CharField("表决意见", max_length=8, choices=Choice.choices)
    source = models.CharField("表决方式", max_length=8, choices=Source.choices)
    via_unit = models.ForeignKey(OwnerUnit, verbose_name="使用的专有部分表决码", on_delete=models.PROTECT,
                                 related_name="+")
    receipt_hash = models.CharField("回执码SHA-256", max_length=64, unique=True)
    scan = models.FileField("纸质表决票扫描件", upload_to="ballots/scans/%Y/", blank=True,
                            validators=[validate_attachment])
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    changes = models.PositiveIntegerField("修改次数", default=0)
    cast_at = models.DateTimeField("首次表决时间", auto_now_add=True)
    updated_at = models.DateTimeField("最后表决时间", auto_now=True)

    # The choice is secret until close: it is kept out of the audit log (which staff can read while the
    # vote runs); each cast or change is audited with who, when, how and which units.
    audit_exclude = ("choice", "receipt_hash", "cast_at", "updated_at")

    class Meta:
        verbose_name = "表决票"
        verbose_name_plural = "表决票"
        ordering = ["vote", "person"]
        constraints = [models.UniqueConstraint(fields=["vote", "person"], name="ballots_one_per_person")]

    def __str__(self) -> str:
        return f"{self.vote_id}：{self.person}"

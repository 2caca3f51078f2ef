"""Verdicts stored per ledger row, the evaluation runs that wrote them, a city's rule configuration,
and the links between ledger rows and the draft projects made from them.

A ledger row is named by its ledger kind and primary key (``kind``, ``row_id``): the four ledgers are
separate tables (:mod:`cityrenew.ledgers.models`). A verdict row is replaced by the next evaluation of its
ledger; the run (:class:`LedgerEvaluation`, audited) records who evaluated, when, with which rule set.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from cityrenew.core.models import AuditedModel, Region
from cityrenew.ledgers.choices import LedgerKind


class CityRuleSettings(AuditedModel):  # 城市规则配置
    """Which province's catalogue applies to the city, the readings it switched, its local rules (TOML)."""

    city = models.OneToOneField(Region, verbose_name="城市", on_delete=models.PROTECT, related_name="+")
    province = models.CharField("适用省份规则目录", max_length=32)
    readings = models.JSONField("条文解读调整", default=dict, blank=True,
                                help_text="解读编号 → 选项，如 {\"HA-CM-age\": \"含本数\"}")
    local_rules = models.TextField("本地规则（TOML）", blank=True,
                                   help_text="[[rule]] 条目，每条注明自己的依据（source 或 document/article）")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = "城市规则配置"
        verbose_name_plural = "城市规则配置"

    def __str__(self) -> str:
        return f"{self.city.display_name}：{self.province}"

    def rule_config(self):
        """This configuration as the evaluator's :class:`~cityrenew.ledgers.rules.RuleConfig` (raises RuleError)."""
        import tomllib

        from cityrenew.ledgers.rules import RuleError, parse_config

        try:
            data = tomllib.loads(self.local_rules or "")
        except tomllib.TOMLDecodeError as exc:
            raise RuleError(f"本地规则格式错误：{exc}") from exc
        data = {k: v for k, v in data.items() if k in ("rule", "reading")}
        return parse_config({"city": self.city.display_name, "province": self.province, "readings": self.readings or {},
                             **data}, "本市规则配置")


class LedgerEvaluation(AuditedModel):  # 台账判定批次
    kind = models.CharField("台账类型", max_length=32, choices=LedgerKind.choices)
    city = models.ForeignKey(Region, verbose_name="城市", on_delete=models.PROTECT, related_name="+")
    province = models.CharField("规则目录省份", max_length=32)
    ruleset_version = models.CharField("规则集版本", max_length=200)
    as_of = models.DateField("判定基准日")
    rows = models.PositiveIntegerField("判定行数", default=0)
    counts = models.JSONField("各判定结果行数", default=dict)
    readings = models.JSONField("采用的条文解读", default=dict)
    evaluated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="判定人", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    evaluated_at = models.DateTimeField("判定时间", auto_now_add=True)

    class Meta:
        verbose_name = "台账判定批次"
        verbose_name_plural = "台账判定批次"
        ordering = ["-evaluated_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.province} {self.as_of}"


class LedgerVerdict(models.Model):  # 更新判定
    """The verdict of one ledger row with every rule that fired (id, document, article, reason)."""

    kind = models.CharField("台账类型", max_length=32, choices=LedgerKind.choices)
    row_id = models.BigIntegerField("台账行")
    code = models.CharField("编号", max_length=64)
    region = models.ForeignKey(Region, verbose_name="所在区域", on_delete=models.PROTECT, related_name="+")
    category = models.CharField("类别", max_length=32, blank=True)
    verdict = models.CharField("判定结果", max_length=16)
    rules = models.JSONField("命中规则", default=list)
    evaluation = models.ForeignKey(LedgerEvaluation, verbose_name="判定批次", on_delete=models.CASCADE, related_name="verdicts")
    province = models.CharField("规则目录省份", max_length=32)
    ruleset_version = models.CharField("规则集版本", max_length=200)
    as_of = models.DateField("判定基准日")
    evaluated_at = models.DateTimeField("判定时间")
    evaluated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="判定人", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "更新判定"
        verbose_name_plural = "更新判定"
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "row_id"], name="uniq_ledger_verdict_row")]
        indexes = [models.Index(fields=["kind", "verdict", "region"], name="ledger_verdict_kind_v_region")]

    def __str__(self) -> str:
        return f"{self.code}：{self.verdict}"

    def row_url(self) -> str:
        return reverse(f"ledgers:{self.kind}_detail", args=[self.row_id])


class LedgerProjectLink(AuditedModel):  # 台账行 ↔ 项目
    kind = models.CharField("台账类型", max_length=32, choices=LedgerKind.choices)
    row_id = models.BigIntegerField("台账行")
    code = models.CharField("编号", max_length=64)
    project = models.ForeignKey("projects.RenewalProject", verbose_name="项目", on_delete=models.CASCADE, related_name="ledger_links")
    created_at = models.DateTimeField("关联时间", auto_now_add=True)

    class Meta:
        verbose_name = "台账行关联项目"
        verbose_name_plural = "台账行关联项目"
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["kind", "row_id", "project"], name="uniq_ledger_project_link")]

    def __str__(self) -> str:
        return f"{self.code} → {self.project.code}"

    def row_url(self) -> str:
        return reverse(f"ledgers:{self.kind}_detail", args=[self.row_id])

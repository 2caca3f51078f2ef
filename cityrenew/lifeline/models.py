"""City lifeline monitoring (城市生命线): monitored assets, devices, SensorThings entities, readings, alarms.

The SensorThings API v1.1 data model maps onto these tables: a *Thing* is a :class:`Device` (物联智能感知设备,
optionally mounted on a :class:`MonitoredAsset`), with its *Locations* (:class:`Location`), *Datastreams*
(:class:`Datastream`, each with one *Sensor* and one *ObservedProperty*) and *Observations*
(:class:`Observation`). Readings are stored in one narrow table — on PostgreSQL partitioned by month
of ``phenomenon_time`` (migration ``0002_observation_partitions``), on SQLite a plain table — and every
datastream keeps its latest reading (:class:`LatestReading`) so "the latest value of every
datastream" reads one row per datastream, however many readings are stored.

Alarm rules are data (``AlarmRule.definition``, read by :mod:`cityrenew.lifeline.rules`); their state per
datastream is kept in :class:`RuleState` so a restart continues where it stopped; there is at most one
active :class:`Alarm` per datastream and rule (a constraint), and every step of its disposal is an
:class:`AlarmStep`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models as gis_models
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse

from cityrenew.core.models import AuditedModel, Region
from cityrenew.core.uploads import validate_photo

from .choices import AlarmStatus, AssetKind, DeviceStatus, DisposalStep, Sector


class MonitoredAsset(AuditedModel):  # 监测对象
    code = models.CharField("对象编码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=200)
    kind = models.CharField("类型", max_length=32, choices=AssetKind.choices)
    sector = models.CharField("行业", max_length=32, choices=Sector.choices)
    district = models.ForeignKey(Region, verbose_name="所在区", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    geometry = gis_models.GeometryField("位置或走向（WGS84）", srid=4326, null=True, blank=True, spatial_index=True)
    equipment = models.ForeignKey(
        "ledgers.Equipment", verbose_name="台账设施设备", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="monitored_assets",
    )
    operator = models.CharField("权属/运营单位", max_length=200, blank=True)

    class Meta:
        verbose_name = "监测对象"
        verbose_name_plural = "监测对象"
        ordering = ["sector", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def region_ids(self) -> list[int]:  # permission scope: its district (none: 市级管理员 only)
        return [self.district_id] if self.district_id else []

    def get_absolute_url(self) -> str:
        return reverse("lifeline:monitoredasset_detail", args=[self.pk])


class Device(AuditedModel):  # 物联智能感知设备（SensorThings: Thing）
    code = models.CharField("设备编码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=200)
    description = models.TextField("描述", blank=True)
    device_type = models.CharField("设备类型", max_length=100, blank=True)
    asset = models.ForeignKey(
        MonitoredAsset, verbose_name="监测对象", null=True, blank=True, on_delete=models.SET_NULL, related_name="devices"
    )
    sector = models.CharField("行业", max_length=32, choices=Sector.choices, default=Sector.OTHER)
    district = models.ForeignKey(Region, verbose_name="所在区", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    location = gis_models.PointField("安装位置（WGS84）", srid=4326, null=True, blank=True, spatial_index=True)
    install_date = models.DateField("安装日期", null=True, blank=True)
    # 四同步：同步设计、同步施工、同步验收、同步交付使用 (new builds)
    sync_design = models.BooleanField("同步设计", default=False)
    sync_construction = models.BooleanField("同步施工", default=False)
    sync_acceptance = models.BooleanField("同步验收", default=False)
    sync_handover = models.BooleanField("同步交付使用", default=False)
    status = models.CharField("运维状态", max_length=16, choices=DeviceStatus.choices, default=DeviceStatus.NORMAL)
    properties = models.JSONField("扩展属性", default=dict, blank=True)  # SensorThings Thing.properties
    key_hash = models.CharField("设备密钥摘要", max_length=128, blank=True, editable=False)
    key_revoked = models.BooleanField("密钥已吊销", default=False)
    # the key's mosquitto password entry ($7$ PBKDF2-SHA512, lifeline/broker.py), made when it is issued
    mqtt_hash = models.CharField("MQTT 口令摘要", max_length=200, blank=True, editable=False)

    audit_exclude = ("key_hash", "mqtt_hash")

    class Meta:
        verbose_name = "感知设备"
        verbose_name_plural = "感知设备"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def region_ids(self) -> list[int]:  # permission scope: its district (none: 市级管理员 only)
        return [self.district_id] if self.district_id else []

    def get_absolute_url(self) -> str:
        return reverse("lifeline:device_detail", args=[self.pk])


class Location(AuditedModel):  # 位置（SensorThings: Location）
    name = models.CharField("名称", max_length=200)
    description = models.TextField("描述", blank=True)
    encoding_type = models.CharField("编码类型", max_length=64, default="application/geo+json")
    geometry = gis_models.GeometryField("位置（WGS84）", srid=4326, spatial_index=True)
    devices = models.ManyToManyField(Device, verbose_name="设备", related_name="locations", blank=True)

    class Meta:
        verbose_name = "位置"
        verbose_name_plural = "位置"

    def __str__(self) -> str:
        return self.name


class Sensor(AuditedModel):  # 传感器型号（SensorThings: Sensor）
    name = models.CharField("名称", max_length=200)
    description = models.TextField("描述", blank=True)
    encoding_type = models.CharField("元数据编码类型", max_length=100, default="application/pdf")
    metadata = models.TextField("元数据", blank=True)

    class Meta:
        verbose_name = "传感器"
        verbose_name_plural = "传感器"

    def __str__(self) -> str:
        return self.name


class ObservedProperty(AuditedModel):  # 观测属性（SensorThings: ObservedProperty）
    name = models.CharField("名称", max_length=200)
    definition = models.CharField("定义（URI）", max_length=300, blank=True)
    description = models.TextField("描述", blank=True)

    class Meta:
        verbose_name = "观测属性"
        verbose_name_plural = "观测属性"

    def __str__(self) -> str:
        return self.name


class Datastream(AuditedModel):  # 数据流（SensorThings: Datastream）
    name = models.CharField("名称", max_length=200)
    description = models.TextField("描述", blank=True)
    device = models.ForeignKey(Device, verbose_name="设备", on_delete=models.CASCADE, related_name="datastreams")
    sensor = models.ForeignKey(Sensor, verbose_name="传感器", on_delete=models.PROTECT, related_name="datastreams")
    observed_property = models.ForeignKey(
        ObservedProperty, verbose_name="观测属性", on_delete=models.PROTECT, related_name="datastreams"
    )
    observation_type = models.CharField(
        "观测类型", max_length=200,
        default="http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
    )
    unit_name = models.CharField("单位名称", max_length=100)
    unit_symbol = models.CharField("单位符号", max_length=32)
    unit_definition = models.CharField("单位定义（URI）", max_length=300, blank=True)
    properties = models.JSONField("扩展属性", default=dict, blank=True)

    class Meta:
        verbose_name = "数据流"
        verbose_name_plural = "数据流"
        ordering = ["device", "id"]

    def __str__(self) -> str:
        return f"{self.device.code} · {self.name}"


class LatestReading(models.Model):  # 数据流最新读数
    """The latest reading of a datastream, upserted by each batch in the same transaction as its rows
    (``INSERT … ON CONFLICT DO UPDATE … WHERE`` the new time is not older), so concurrent batches keep the
    newest and "the latest value of every datastream" is one row per datastream."""

    datastream = models.OneToOneField(Datastream, primary_key=True, on_delete=models.CASCADE, related_name="latest")
    time = models.DateTimeField("最新读数时间")
    value = models.FloatField("最新读数")

    class Meta:
        verbose_name = "最新读数"
        verbose_name_plural = "最新读数"


class Observation(models.Model):  # 观测读数（SensorThings: Observation）；只增不改
    """One reading. Not audited row by row (readings are measurements, not edits): each ingestion batch is
    one :class:`IngestBatch`. On PostgreSQL the table is partitioned by month (primary key
    ``(id, phenomenon_time)``), which Django does not manage: see migration ``0002_observation_partitions``."""

    id = models.BigAutoField(primary_key=True)
    datastream = models.ForeignKey(Datastream, verbose_name="数据流", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    phenomenon_time = models.DateTimeField("观测时间")
    result_time = models.DateTimeField("结果时间", null=True, blank=True)
    result = models.FloatField("读数")
    batch_id = models.BigIntegerField("导入批次", null=True, blank=True)

    backup = True  # its table is created by migration 0002: cityrenew backup includes it (core/backup.py)

    class Meta:
        managed = False
        db_table = "lifeline_observation"
        verbose_name = "观测读数"
        verbose_name_plural = "观测读数"
        ordering = ["datastream_id", "phenomenon_time"]


class IngestBatch(models.Model):  # 读数入库批次
    source = models.CharField("来源", max_length=16)  # api / mqtt / csv / simulator
    device = models.ForeignKey(Device, verbose_name="设备", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="用户", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    count = models.PositiveIntegerField("读数条数", default=0)
    note = models.CharField("说明", max_length=300, blank=True)
    at = models.DateTimeField("入库时间", auto_now_add=True)

    class Meta:
        verbose_name = "读数入库批次"
        verbose_name_plural = "读数入库批次"
        ordering = ["-at"]


class AlarmRule(AuditedModel):  # 报警规则（数据）
    code = models.CharField("规则编号", max_length=64, unique=True)
    name = models.CharField("名称", max_length=200)
    observed_property = models.ForeignKey(
        ObservedProperty, verbose_name="适用观测属性", on_delete=models.PROTECT, related_name="alarm_rules"
    )
    sector = models.CharField("适用行业", max_length=32, choices=Sector.choices, blank=True)
    unit_symbol = models.CharField("阈值单位", max_length=32, help_text="与数据流单位不一致时不适用，并提示")
    definition = models.JSONField("规则定义", help_text="等级与条件，见 cityrenew.lifeline.rules")
    escalate_after_min = models.PositiveIntegerField("未确认升级时限（分钟）", null=True, blank=True)
    basis = models.CharField("依据", max_length=300, blank=True, help_text="规范、标准或本地规定的名称与条款")
    enabled = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "报警规则"
        verbose_name_plural = "报警规则"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def region_ids(self) -> list[int]:  # city-wide rules: 市级管理员
        return []

    def get_absolute_url(self) -> str:
        return reverse("lifeline:alarmrule_detail", args=[self.pk])


class RuleState(models.Model):  # 规则在数据流上的状态（重启后继续）
    rule = models.ForeignKey(AlarmRule, on_delete=models.CASCADE, related_name="+")
    datastream = models.ForeignKey(Datastream, on_delete=models.CASCADE, related_name="+")
    state = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "datastream"], name="uniq_lifeline_rule_state")]


class Alarm(AuditedModel):  # 报警
    rule = models.ForeignKey(AlarmRule, verbose_name="规则", on_delete=models.PROTECT, related_name="alarms")
    datastream = models.ForeignKey(Datastream, verbose_name="数据流", on_delete=models.CASCADE, related_name="alarms")
    device = models.ForeignKey(Device, verbose_name="设备", on_delete=models.CASCADE, related_name="alarms")
    level = models.CharField("等级", max_length=32)
    level_rank = models.PositiveSmallIntegerField("等级序号")
    value = models.FloatField("读数", null=True)
    reason = models.CharField("原因", max_length=500, blank=True)
    since = models.DateTimeField("报警开始")
    last_at = models.DateTimeField("最近触发")
    cleared_at = models.DateTimeField("恢复时间", null=True, blank=True)
    status = models.CharField("状态", max_length=16, choices=AlarmStatus.choices, default=AlarmStatus.ACTIVE)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="确认人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField("确认时间", null=True, blank=True)
    escalations = models.PositiveSmallIntegerField("升级次数", default=0)
    escalated_at = models.DateTimeField("最近升级", null=True, blank=True)

    class Meta:
        verbose_name = "报警"
        verbose_name_plural = "报警"
        ordering = ["level_rank", "-since"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "datastream"], condition=models.Q(status="active"), name="uniq_lifeline_active_alarm"
            )
        ]
        indexes = [models.Index(fields=["status", "level_rank"])]

    def __str__(self) -> str:
        return f"{self.device.code} {self.rule.name} {self.level}"

    def get_absolute_url(self) -> str:
        return reverse("lifeline:alarm_detail", args=[self.pk])

    def region_ids(self) -> list[int]:
        return self.device.region_ids()


class AlarmStep(AuditedModel):  # 报警处置记录（派单 → 处置 → 复核 → 关闭）
    alarm = models.ForeignKey(Alarm, verbose_name="报警", on_delete=models.CASCADE, related_name="steps")
    step = models.CharField("步骤", max_length=16, choices=DisposalStep.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField("说明", blank=True)
    assignee = models.CharField("处置单位/人员", max_length=200, blank=True)
    photo = models.FileField("现场照片", upload_to="lifeline/photos/", blank=True, validators=[validate_photo])
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "处置记录"
        verbose_name_plural = "处置记录"
        ordering = ["at", "id"]


# --- downsampling and retention (聚合与数据保留) ----------------------------------------------------

class Aggregate(models.Model):
    """One bucket of one datastream: count, minimum, maximum, sum (average = sum / count), the times of the
    first and last reading in it. Written by :mod:`cityrenew.lifeline.rollup` only (``INSERT … SELECT …
    GROUP BY`` with an upsert on ``(datastream, bucket)``)."""

    id = models.BigAutoField(primary_key=True)
    datastream = models.ForeignKey(Datastream, verbose_name="数据流", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    bucket = models.DateTimeField("时段起点")
    n = models.PositiveIntegerField("读数条数")
    min_value = models.FloatField("最小值")
    max_value = models.FloatField("最大值")
    sum_value = models.FloatField("读数之和")
    first_time = models.DateTimeField("首条读数时间")
    last_time = models.DateTimeField("末条读数时间")

    class Meta:
        abstract = True

    @property
    def avg_value(self) -> float:
        return self.sum_value / self.n if self.n else float("nan")


class HourlyAggregate(Aggregate):  # 小时聚合
    """Hours (UTC-aligned, ``[hh:00, hh+1:00)``). On PostgreSQL partitioned by month of ``bucket`` like the
    readings (migration ``0004_rollups_retention``), so retention drops whole months; SQLite: a plain table."""

    backup = True  # table created by migration 0003 (unmanaged): cityrenew backup includes it

    class Meta:
        managed = False
        db_table = "lifeline_hourly"
        verbose_name = "小时聚合"
        verbose_name_plural = "小时聚合"


class DailyAggregate(Aggregate):  # 日聚合（永久保留）
    """Days of ``TIME_ZONE`` (北京时间: ``[00:00, 24:00)`` local), built from the hourly aggregates."""

    class Meta:
        db_table = "lifeline_daily"
        verbose_name = "日聚合"
        verbose_name_plural = "日聚合"
        constraints = [models.UniqueConstraint(fields=["datastream", "bucket"], name="uniq_lifeline_daily_bucket")]


class RollupMark(models.Model):  # 聚合与清理进度（水位线）
    """How far a level is done: ``hour``/``day`` — every bucket before ``until`` is rolled up; ``raw_purge`` /
    ``hour_purge`` — rows before ``until`` were re-aggregated and are being (or were) removed."""

    level = models.CharField("层级", max_length=16, unique=True)
    until = models.DateTimeField("已完成至")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    LABELS = {"hour": "小时聚合", "day": "日聚合", "raw_purge": "原始读数清理", "hour_purge": "小时聚合清理"}

    class Meta:
        verbose_name = "聚合水位线"
        verbose_name_plural = "聚合水位线"

    def __str__(self) -> str:
        return f"{self.LABELS.get(self.level, self.level)}水位线"


class RetentionSettings(AuditedModel):  # 读数保留期限（城市配置）
    """The city's retention periods, applied by :func:`cityrenew.lifeline.rollup.purge`. The defaults are the
    platform's (no policy document sets a period): raw readings as long as the batch path accepts late ones
    (``CITYRENEW_LIFELINE_MAX_AGE_DAYS``, 400 days), hourly aggregates three years; daily aggregates forever."""

    city = models.OneToOneField(Region, verbose_name="城市", on_delete=models.PROTECT, related_name="+")
    raw_days = models.PositiveIntegerField(
        "原始读数保留（天）", default=400, validators=[MinValueValidator(30, "原始读数至少保留 30 天")],
        help_text="超过期限且已汇总为小时聚合的原始读数按整月删除（PostgreSQL 按月分区整体删除），最少 30 天")
    hourly_days = models.PositiveIntegerField(
        "小时聚合保留（天）", default=1095, validators=[MinValueValidator(90, "小时聚合至少保留 90 天（90 天以内的曲线读小时聚合）")],
        help_text="超过期限且已汇总为日聚合的小时聚合被删除；不得短于原始读数的保留期限；日聚合永久保留")

    class Meta:
        verbose_name = "读数保留期限"
        verbose_name_plural = "读数保留期限"

    def __str__(self) -> str:
        return f"{self.city.display_name}读数保留期限"

    def region_ids(self) -> list[int]:  # the city region itself: 市级管理员
        return [self.city_id]

    def clean(self) -> None:
        if self.raw_days and self.hourly_days and self.hourly_days < self.raw_days:
            raise ValidationError({"hourly_days": f"小时聚合的保留期限（{self.hourly_days} 天）不得短于原始读数的保留期限（{self.raw_days} 天）"})

    def get_absolute_url(self) -> str:
        return reverse("lifeline:retention")

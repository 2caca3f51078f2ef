"""Named choices of lifeline monitoring (监测对象类型、行业、设备状态、报警状态、处置步骤)."""

from django.db import models


class Sector(models.TextChoices):  # 行业
    GAS = "gas", "燃气"
    WATER = "water", "供水"
    DRAINAGE = "drainage", "排水"
    HEATING = "heating", "供热"
    BRIDGE = "bridge", "桥梁"
    TUNNEL = "tunnel", "隧道"
    UTILITY_TUNNEL = "utility_tunnel", "综合管廊"
    MANHOLE = "manhole", "窨井盖"
    OTHER = "other", "其他"


class AssetKind(models.TextChoices):  # 监测对象类型
    PIPE_SEGMENT = "pipe_segment", "管段"
    VALVE_WELL = "valve_well", "阀门井"
    BRIDGE = "bridge", "桥梁"
    TUNNEL = "tunnel", "隧道"
    UTILITY_TUNNEL = "utility_tunnel", "综合管廊舱段"
    MANHOLE = "manhole", "窨井"
    PUMP_STATION = "pump_station", "泵站"
    STATION = "station", "场站"
    OTHER = "other", "其他"


class DeviceStatus(models.TextChoices):  # 设备运维状态
    NORMAL = "normal", "正常"
    MAINTENANCE = "maintenance", "维护中"
    FAULT = "fault", "故障"
    RETIRED = "retired", "已停用"


class AlarmStatus(models.TextChoices):  # 报警状态
    ACTIVE = "active", "报警中"
    CLEARED = "cleared", "已恢复（待处置关闭）"
    CLOSED = "closed", "已关闭"


class DisposalStep(models.TextChoices):  # 处置步骤
    DISPATCH = "dispatch", "派单"
    HANDLE = "handle", "处置"
    VERIFY = "verify", "复核"
    CLOSE = "close", "关闭"

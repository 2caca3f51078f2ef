"""Field-level write rules of lifeline monitoring (城市生命线字段级写权限), see :mod:`cityrenew.core.fieldrules`.

市级管理员 and 区级编辑 (within their districts: :mod:`cityrenew.core.permissions`) keep the registry of
assets, devices, SensorThings entities and alarm rules; codes are not changed in place; a device key is
only set by issuing or revoking it; readings and alarms are written by the platform (ingestion and the
rules), and people act on alarms only through acknowledgement and disposal steps.
"""

from __future__ import annotations

from cityrenew.core.choices import Role
from cityrenew.core.fieldrules import register, register_audit_scope

from .models import (
    Alarm,
    AlarmRule,
    AlarmStep,
    Datastream,
    Device,
    Location,
    MonitoredAsset,
    ObservedProperty,
    RetentionSettings,
    RollupMark,
    Sensor,
)

EDITORS = (Role.CITY_ADMIN, Role.DISTRICT_EDITOR)
NOT_EDITABLE = {"id", "row_version", "key_hash", "key_revoked", "mqtt_hash"}


def _fields(model) -> set[str]:
    return {f.name for f in model._meta.concrete_fields if f.name not in NOT_EDITABLE} | {
        f.name for f in model._meta.many_to_many}


for _model in (MonitoredAsset, Device, Location, Sensor, ObservedProperty, Datastream, AlarmRule):
    _all = _fields(_model)
    _update = _all - {"code"}
    register(
        _model,
        create={role: _all for role in EDITORS},
        update={role: _update for role in EDITORS},
        reasons={"code": "登记后不能修改：编码是设备、对象或规则的标识，网关和历史记录按它对应",
                 "key_hash": "只能通过“签发密钥”生成", "mqtt_hash": "只能通过“签发密钥”生成", "key_revoked": "只能通过“吊销密钥”设置"},
    )
    register_audit_scope(_model, lambda user: None)

register(Alarm, create={}, update={},
         reasons={f.name: "报警由监测规则产生；确认与处置请在报警页面操作" for f in Alarm._meta.concrete_fields})
register_audit_scope(Alarm, lambda user: None)
_steps = {"step", "note", "assignee", "photo"}
register(AlarmStep, create={r: _steps for r in (*EDITORS, Role.DEPT_EDITOR, Role.DEPT_REVIEWER)}, update={},
         reasons={"step": "处置记录只增不改"})
register_audit_scope(AlarmStep, lambda user: None)

# the city's retention periods: 市级管理员 (the city is set by the page); retention's removals are recorded
# against the purge watermarks (RollupMark), written by the jobs only
register(RetentionSettings, create={Role.CITY_ADMIN: {"city", "raw_days", "hourly_days"}},
         update={Role.CITY_ADMIN: {"raw_days", "hourly_days"}}, reasons={"city": "由系统按所在城市设置"})
register_audit_scope(RetentionSettings, lambda user: None)
register(RollupMark, create={}, update={}, reasons={f.name: "由聚合与数据保留任务记录" for f in RollupMark._meta.concrete_fields})
register_audit_scope(RollupMark, lambda user: None)

"""The batch path and the alarms: readings stored all-or-nothing, latest values, alarms raised, updated,
cleared, acknowledged, escalated and disposed — on the real database (SpatiaLite or PostGIS)."""

import datetime as dt

import pytest
from django.db import connection

from cityrenew.lifeline import alarms
from cityrenew.lifeline.choices import AlarmStatus, Sector
from cityrenew.lifeline.models import Alarm, AlarmRule, Datastream, Device, IngestBatch, ObservedProperty, Sensor
from cityrenew.lifeline.storage import IngestError, Reading, ingest, latest_values, series

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 7, 1, 8, 0, tzinfo=dt.timezone.utc)


def at(minutes: float) -> dt.datetime:
    return NOW + dt.timedelta(minutes=minutes)


def stored() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM lifeline_observation")
        return cur.fetchone()[0]


@pytest.fixture
def pressure():
    return ObservedProperty.objects.create(name="燃气管网压力", definition="http://example.org/gas-pressure")


@pytest.fixture
def stream(pressure):
    device = Device.objects.create(code="GAS-0001", name="中原路调压箱压力计", sector=Sector.GAS)
    sensor = Sensor.objects.create(name="压力变送器")
    return Datastream.objects.create(name="出口压力", device=device, sensor=sensor, observed_property=pressure,
                                     unit_name="兆帕", unit_symbol="MPa")


@pytest.fixture
def rule(pressure):
    return AlarmRule.objects.create(
        code="GAS-P-HIGH", name="中压燃气管网压力过高", observed_property=pressure, sector=Sector.GAS, unit_symbol="MPa",
        escalate_after_min=15,
        definition={"levels": [
            {"name": "一级", "rank": 1, "conditions": [{"kind": "threshold", "word": "超过", "value": 0.45}]},
            {"name": "二级", "rank": 2, "conditions": [{"kind": "threshold", "word": "超过", "value": 0.4}]},
        ]},
    )


def test_a_batch_is_stored_with_its_latest_value_and_series(stream):
    result = ingest([Reading(stream.id, at(i), 0.30 + i / 100) for i in range(10)], source="api", now=at(10))
    assert (result.count, result.datastreams, stored()) == (10, 1, 10)
    assert latest_values([stream.id]) == [{"datastream": stream.id, "time": at(9), "value": pytest.approx(0.39)}]
    assert [round(v, 2) for _, v in series(stream.id, at(2), at(5))] == [0.32, 0.33, 0.34]
    ingest([Reading(stream.id, at(-60), 0.2)], source="csv", now=at(10))  # late history: stored, latest kept
    assert latest_values([stream.id])[0]["time"] == at(9)
    assert stored() == 11


@pytest.mark.parametrize(
    "bad, message",
    [
        (Reading(999999, NOW, 0.3), "数据流 999999 不存在"),
        (Reading(None, NOW, 0.3), "数据流 None 不存在"),
        ("unit", "单位“kPa”与数据流的单位“MPa”不一致"),
        ("future", "晚于当前时间"),
        ("past", "早于可接收的最早时间"),
        ("naive", "缺少时区"),
        ("nan", "不是有限数值"),
        ("text", "不是有限数值"),
    ],
)
def test_bad_readings_refuse_the_whole_batch(stream, bad, message):
    good = Reading(stream.id, at(-1), 0.3)
    bad = {
        "unit": Reading(stream.id, NOW, 300, unit="kPa"),
        "future": Reading(stream.id, at(6), 0.3),
        "past": Reading(stream.id, NOW - dt.timedelta(days=401), 0.3),
        "naive": Reading(stream.id, dt.datetime(2026, 7, 1, 8, 0), 0.3),
        "nan": Reading(stream.id, NOW, float("nan")),
        "text": Reading(stream.id, NOW, "abc"),
    }.get(bad, bad)
    with pytest.raises(IngestError, match=message) as info:
        ingest([good, bad], source="api", now=NOW)
    assert "整批未保存" in str(info.value) and "第 2 条" in str(info.value)
    assert stored() == 0 and IngestBatch.objects.count() == 0 and latest_values() == []


def test_five_minutes_of_clock_skew_are_accepted_one_second_more_is_not(stream):
    ingest([Reading(stream.id, at(5), 0.3)], source="api", now=NOW)
    with pytest.raises(IngestError, match="晚于当前时间"):
        ingest([Reading(stream.id, at(5) + dt.timedelta(seconds=1), 0.3)], source="api", now=NOW)


def test_a_revoked_device_and_another_devices_stream_are_refused(stream, pressure):
    other = Device.objects.create(code="GAS-0002", name="另一台设备", sector=Sector.GAS)
    with pytest.raises(IngestError, match="不属于设备 GAS-0002"):
        ingest([Reading(stream.id, NOW, 0.3)], source="api", device=other, now=NOW)
    stream.device.key_revoked = True
    stream.device.save()
    with pytest.raises(IngestError, match="密钥已吊销"):
        ingest([Reading(stream.id, NOW, 0.3)], source="api", device=stream.device, now=NOW)
    assert stored() == 0


def test_an_alarm_is_raised_updated_escalated_in_level_and_cleared_once(stream, rule):
    values = [0.38, 0.40, 0.41, 0.42, 0.46, 0.43, 0.40]  # 0.40 is not 超过 0.4
    changes = []
    for i, v in enumerate(values):  # one reading per batch, as devices send them
        changes += ingest([Reading(stream.id, at(i), v)], source="mqtt", now=at(i)).events
    assert [(c.kind, c.level) for c in changes] == [
        ("raise", "二级"), ("update", "二级"), ("change", "一级"), ("change", "二级"), ("clear", "")
    ]
    alarm = Alarm.objects.get()
    assert (alarm.status, alarm.level, alarm.since, alarm.cleared_at) == (AlarmStatus.CLEARED, "二级", at(2), at(6))
    ingest([Reading(stream.id, at(7), 0.5)], source="mqtt", now=at(7))  # a new episode: a new alarm
    assert Alarm.objects.filter(status=AlarmStatus.ACTIVE).count() == 1 and Alarm.objects.count() == 2


def test_one_active_alarm_per_stream_and_rule_even_within_one_batch(stream, rule):
    ingest([Reading(stream.id, at(i), 0.5) for i in range(20)], source="csv", now=at(20))
    assert Alarm.objects.filter(status=AlarmStatus.ACTIVE).count() == 1
    assert Alarm.objects.get().value == 0.5


def test_a_rule_in_another_unit_does_not_apply(stream, rule):
    rule.unit_symbol = "kPa"
    rule.save()
    ingest([Reading(stream.id, NOW, 0.9)], source="api", now=NOW)
    assert not Alarm.objects.exists()


def test_escalation_at_exactly_the_limit_and_acknowledgement_stops_it(stream, rule, city_admin):
    ingest([Reading(stream.id, NOW, 0.5)], source="api", now=NOW)
    alarm = Alarm.objects.get()
    assert alarms.escalate_due(at(15) - dt.timedelta(seconds=1)) == []
    assert [a.pk for a in alarms.escalate_due(at(15))] == [alarm.pk]  # 15 minutes unacknowledged
    assert alarms.escalate_due(at(20)) == []
    assert len(alarms.escalate_due(at(30))) == 1  # again after another 15 minutes
    alarms.acknowledge(Alarm.objects.get(), city_admin, now=at(31))
    assert alarms.escalate_due(at(60)) == []
    alarm.refresh_from_db()
    assert (alarm.escalations, alarm.acknowledged_by, alarm.acknowledged_at) == (2, city_admin, at(31))
    with pytest.raises(alarms.AlarmError, match="已由"):
        alarms.acknowledge(alarm, city_admin)


def test_disposal_runs_in_order_and_closes_only_after_recovery(stream, rule, city_admin):
    ingest([Reading(stream.id, NOW, 0.5)], source="api", now=NOW)
    alarm = Alarm.objects.get()
    with pytest.raises(alarms.AlarmError, match="当前应进行“派单”"):
        alarms.add_step(alarm, "handle", city_admin)
    with pytest.raises(alarms.AlarmError, match="须填写处置单位"):
        alarms.add_step(alarm, "dispatch", city_admin)
    alarms.add_step(alarm, "dispatch", city_admin, assignee="燃气集团抢修一队")
    alarms.add_step(alarm, "handle", city_admin, note="关小调压阀")
    alarms.add_step(alarm, "verify", city_admin, note="压力仍偏高", passed=False)
    alarms.add_step(alarm, "handle", city_admin, note="更换调压器")
    alarms.add_step(alarm, "verify", city_admin, note="复核正常")
    with pytest.raises(alarms.AlarmError, match="尚未恢复正常"):
        alarms.add_step(alarm, "close", city_admin)
    ingest([Reading(stream.id, at(1), 0.3)], source="api", now=at(1))
    alarm.refresh_from_db()
    alarms.add_step(alarm, "close", city_admin, note="已恢复")
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.CLOSED
    assert [s.step for s in alarm.steps.all()] == ["dispatch", "handle", "verify", "handle", "verify", "close"]


def test_no_data_alarm_from_the_clock(stream, pressure):
    AlarmRule.objects.create(code="NODATA", name="设备离线", observed_property=pressure, unit_symbol="MPa",
                             definition={"levels": [{"name": "四级", "rank": 4, "conditions": [
                                 {"kind": "nodata", "word": "超过", "value": 30}]}]})
    ingest([Reading(stream.id, NOW, 0.3)], source="api", now=NOW)
    assert alarms.tick(at(30)) == []
    assert [c.kind for c in alarms.tick(at(31))] == ["raise"]
    assert [c.kind for c in ingest([Reading(stream.id, at(32), 0.3)], source="api", now=at(32)).events] == ["clear"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="month partitions exist on PostgreSQL only")
def test_readings_land_in_their_month_partition_on_postgresql(stream):
    ingest([Reading(stream.id, dt.datetime(2026, 6, 30, 23, 59, tzinfo=dt.timezone.utc), 0.3),
            Reading(stream.id, dt.datetime(2026, 7, 1, 0, 0, tzinfo=dt.timezone.utc), 0.3)], source="api", now=NOW)
    with connection.cursor() as cur:
        cur.execute("SELECT tableoid::regclass::text, count(*) FROM lifeline_observation GROUP BY 1 ORDER BY 1")
        assert cur.fetchall() == [("lifeline_observation_202606", 1), ("lifeline_observation_202607", 1)]


def rule_states() -> list[tuple[int, int]]:
    with connection.cursor() as cur:
        cur.execute("SELECT rule_id, datastream_id FROM lifeline_rulestate ORDER BY 1, 2")
        return cur.fetchall()


def test_a_stream_at_rest_stores_no_rule_state_and_a_state_back_at_rest_is_deleted(stream, pressure):
    rule = AlarmRule.objects.create(
        code="GAS-P-5MIN", name="压力持续偏高", observed_property=pressure, unit_symbol="MPa",
        definition={"levels": [{"name": "二级", "rank": 2, "conditions": [
            {"kind": "threshold", "word": "超过", "value": 0.4, "duration_min": 5}]}]})
    ingest([Reading(stream.id, at(0), 0.3)], source="api", now=at(0))
    assert rule_states() == []  # the last reading is the stream's latest reading: nothing else to keep
    ingest([Reading(stream.id, at(1), 0.5)], source="api", now=at(1))  # the 5 minutes start running
    assert rule_states() == [(rule.pk, stream.id)]
    # a restart between batches: the running duration comes back from the stored state
    assert ingest([Reading(stream.id, at(5), 0.5)], source="api", now=at(5)).events == []
    assert [c.kind for c in ingest([Reading(stream.id, at(6), 0.5)], source="api", now=at(6)).events] == ["raise"]
    assert [c.kind for c in ingest([Reading(stream.id, at(7), 0.3)], source="api", now=at(7)).events] == ["clear"]
    assert rule_states() == []  # back at rest: the row is gone


def test_a_late_reading_after_a_restart_is_stored_but_not_evaluated(stream, rule):
    ingest([Reading(stream.id, at(10), 0.3)], source="api", now=at(10))
    assert rule_states() == []
    # older than the stream's latest reading: stored, and the rule (whose last reading is that one) skips it
    result = ingest([Reading(stream.id, at(5), 0.9)], source="csv", now=at(10))
    assert result.events == [] and not Alarm.objects.exists() and stored() == 2


def test_raise_and_clear_in_one_batch_are_audited_as_two_saves_would_be(stream, rule):
    from cityrenew.core.models import AuditLog

    ingest([Reading(stream.id, at(0), 0.5), Reading(stream.id, at(1), 0.42), Reading(stream.id, at(2), 0.3)],
           source="csv", now=at(3))
    alarm = Alarm.objects.get()
    assert (alarm.status, alarm.level, alarm.value, alarm.cleared_at) == (AlarmStatus.CLEARED, "二级", 0.3, at(2))
    log = list(AuditLog.for_object(alarm).order_by("id"))
    assert [(e.action, e.object_version, e.object_repr) for e in log] == [
        ("create", 1, "GAS-0001 中压燃气管网压力过高 一级"), ("update", 2, "GAS-0001 中压燃气管网压力过高 二级"),
        ("update", 3, "GAS-0001 中压燃气管网压力过高 二级")]
    assert log[1].changes["level"] == ["一级", "二级"] and log[2].changes["status"] == ["active", "cleared"]
    assert alarm.row_version == 3
    # an alarm stored earlier moves on by one version per audited change, from what is in the database
    ingest([Reading(stream.id, at(4), 0.5)], source="api", now=at(4))
    second = Alarm.objects.get(status=AlarmStatus.ACTIVE)
    ingest([Reading(stream.id, at(5), 0.42), Reading(stream.id, at(6), 0.3)], source="api", now=at(6))
    second.refresh_from_db()
    versions = [e.object_version for e in AuditLog.for_object(second).order_by("id")]
    assert versions == [1, 2, 3] and second.row_version == 3

"""``cityrenew lifeline alarms|tick|import``: the JSON contract, the CSV history import all-or-nothing."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cityrenew.lifeline import alarms
from cityrenew.lifeline.choices import Sector
from cityrenew.lifeline.models import Alarm, AlarmRule, Datastream, Device, IngestBatch, ObservedProperty, Sensor
from cityrenew.lifeline.storage import Reading, ingest, latest_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def stream():
    prop = ObservedProperty.objects.create(name="液位")
    device = Device.objects.create(code="DR-0007", name="金水路雨水井液位计", sector=Sector.DRAINAGE)
    ds = Datastream.objects.create(name="液位", device=device, sensor=Sensor.objects.create(name="雷达液位计"),
                                   observed_property=prop, unit_name="米", unit_symbol="m")
    AlarmRule.objects.create(code="DR-LEVEL", name="雨水井液位高", observed_property=prop, unit_symbol="m",
                             definition={"levels": [{"name": "橙色", "rank": 2, "conditions": [
                                 {"kind": "threshold", "word": "以上", "value": 1.5}]}]})
    return ds


def out(*args) -> str:
    buf = io.StringIO()
    call_command("lifeline", *args, stdout=buf)
    return buf.getvalue()


def test_alarms_json_lists_the_active_alarms_with_the_contract_fields(stream, city_admin):
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    assert json.loads(out("alarms", "--format", "json")) == []
    ingest([Reading(stream.id, now, 1.5)], source="api")  # 1.5 is 1.5以上
    alarms.acknowledge(Alarm.objects.get(), city_admin)
    assert json.loads(out("alarms", "--format", "json")) == [{
        "device": "DR-0007", "rule": "DR-LEVEL", "level": "橙色", "value": 1.5,
        "since": now.astimezone(dt.timezone.utc).isoformat(), "acknowledged_by": city_admin.username,
    }]
    assert "橙色 DR-0007 DR-LEVEL 读数 1.5" in out("alarms")


def test_csv_history_import_with_beijing_time_and_gbk(stream, tmp_path):
    f = tmp_path / "history.csv"
    today = dt.date.today() - dt.timedelta(days=2)  # safely in the past in any zone
    f.write_bytes(("设备编码,数据流,观测时间,读数,单位\n"
                   f"DR-0007,液位,{today} 08:00:00,0.8,m\n"
                   f"DR-0007,液位,{today}T08:05:00+08:00,1.6,m\n").encode("gbk"))
    assert "已导入 2 条读数" in out("import", str(f))
    latest = latest_values([stream.id])[0]
    assert (latest["time"], latest["value"]) == (dt.datetime.combine(today, dt.time(0, 5), dt.timezone.utc), 1.6)
    assert Alarm.objects.count() == 1


def test_csv_with_one_bad_row_imports_nothing(stream, tmp_path):
    f = tmp_path / "bad.csv"
    now = dt.datetime.now(dt.timezone.utc)
    f.write_text(f"数据流编号,观测时间,读数,单位\n{stream.id},{now.isoformat()},0.5,m\n"
                 f"{stream.id},{now.isoformat()},0.6,cm\n{stream.id},昨天,0.7,m\n", encoding="utf-8")
    with pytest.raises(CommandError, match="第 4 行「观测时间」：“昨天”不是日期时间"):
        out("import", str(f))
    f.write_text(f"数据流编号,观测时间,读数,单位\n{stream.id},{now.isoformat()},0.5,m\n{stream.id},{now.isoformat()},0.6,cm\n",
                 encoding="utf-8")
    with pytest.raises(CommandError, match="第 3 行「单位」：单位“cm”与数据流的单位“m”不一致"):
        out("import", str(f))
    assert IngestBatch.objects.count() == 0 and latest_values() == []


def test_tick_runs_the_clock_checks(stream):
    assert "升级：0 条报警" in out("tick")

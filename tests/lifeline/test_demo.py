"""The lifeline demo: a monitored city with 24 hours of simulated readings, a few alarms (one being
disposed, one closed), and the simulator that keeps readings coming."""

import io
import json

import pytest
from django.core.management import call_command

from cityrenew.core import demo as core_demo
from cityrenew.lifeline import demo
from cityrenew.lifeline.choices import AlarmStatus
from cityrenew.lifeline.models import Alarm, Datastream, Device, IngestBatch
from cityrenew.lifeline.storage import latest_values

pytestmark = pytest.mark.django_db


def test_demo_city_has_history_alarms_and_disposal(regions):
    core_demo.load()
    out = demo.load()
    assert out["devices"] == len(demo.DEVICES) == Device.objects.count()
    assert out["readings"] == len(demo.DEVICES) * (demo.HISTORY_HOURS * 6 + 1)
    active = Alarm.objects.filter(status=AlarmStatus.ACTIVE)
    assert sorted(a.device.code for a in active) == ["ZZ-GAS-001", "ZZ-MH-001", "ZZ-WAT-002"]
    first = active.get(device__code="ZZ-GAS-001")
    assert (first.level, first.acknowledged_by.username, [s.step for s in first.steps.all()]) == ("一级", "admin", ["dispatch"])
    closed = Alarm.objects.get(status=AlarmStatus.CLOSED)
    assert [s.step for s in closed.steps.all()] == ["dispatch", "handle", "verify", "close"]
    assert demo.load() == {}  # idempotent
    listed = io.StringIO()
    call_command("lifeline", "alarms", "--format", "json", stdout=listed)
    assert {r["device"] for r in json.loads(listed.getvalue())} == {"ZZ-GAS-001", "ZZ-MH-001", "ZZ-WAT-002"}


def test_simulator_sends_one_reading_per_stream(regions):
    core_demo.load()
    demo.load()
    before = {r["datastream"]: r["time"] for r in latest_values()}
    call_command("lifeline", "simulate", "--once", "--seed", "1", stdout=io.StringIO())
    after = {r["datastream"]: r["time"] for r in latest_values()}
    assert len(after) == Datastream.objects.count() and all(after[k] > before[k] for k in before)
    assert IngestBatch.objects.filter(source="simulator").count() == 2

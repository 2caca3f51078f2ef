"""Downsampling and retention of the readings (cityrenew.lifeline.rollup, the jobs, the tick, the settings
page, the chart): hourly and daily aggregates equal a hand computation across hour and (北京时间) day
boundaries, a second run changes nothing, an interrupted run resumes, retention removes only what is rolled
up (a whole month partition on PostgreSQL) and takes in late readings first — on the real database."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from cityrenew.core.models import AuditLog
from cityrenew.jobs.choices import JobStatus
from cityrenew.jobs.models import Job
from cityrenew.jobs.runner import run_pending
from cityrenew.lifeline import jobs, rollup
from cityrenew.lifeline.choices import Sector
from cityrenew.lifeline.models import (
    DailyAggregate,
    Datastream,
    Device,
    HourlyAggregate,
    ObservedProperty,
    RetentionSettings,
    RollupMark,
    Sensor,
)
from cityrenew.lifeline.storage import Reading, ingest

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 7, 3, 0, 0, tzinfo=UTC)  # 北京时间 7 月 3 日 08:00


def t(day: int, hour: int, minute: int = 0, second: float = 0, month: int = 7) -> dt.datetime:
    whole = int(second)
    return dt.datetime(2026, month, day, hour, minute, whole, round((second - whole) * 1e6), tzinfo=UTC)


@pytest.fixture
def streams():
    prop = ObservedProperty.objects.create(name="管网压力")
    sensor = Sensor.objects.create(name="压力变送器")
    out = []
    for code in ("W-1", "W-2"):
        device = Device.objects.create(code=code, name=f"供水管网压力计 {code}", sector=Sector.WATER)
        out.append(Datastream.objects.create(name="压力", device=device, sensor=sensor, observed_property=prop,
                                             unit_name="兆帕", unit_symbol="MPa"))
    return out


def put(stream, *points, now=NOW):
    ingest([Reading(stream.id, when, value) for when, value in points], source="csv", now=now,
           max_age=dt.timedelta(days=3650))


def hourly(stream) -> list[tuple]:
    return list(HourlyAggregate.objects.filter(datastream_id=stream.id).order_by("bucket").values_list(
        "bucket", "n", "min_value", "max_value", "sum_value", "first_time", "last_time"))


def daily(stream) -> list[tuple]:
    return list(DailyAggregate.objects.filter(datastream_id=stream.id).order_by("bucket").values_list(
        "bucket", "n", "min_value", "max_value", "sum_value", "first_time", "last_time"))


def raw_count(before: dt.datetime | None = None) -> int:
    with connection.cursor() as cur:
        if before is None:
            cur.execute("SELECT count(*) FROM lifeline_observation")
        else:
            cur.execute("SELECT count(*) FROM lifeline_observation WHERE phenomenon_time < %s",
                        [before if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(before)])
        return cur.fetchone()[0]


def test_hourly_and_daily_values_equal_a_hand_computation(streams):
    a, b = streams
    put(a, (t(1, 7, 59, 59), 1.0), (t(1, 8), 2.0), (t(1, 8, 30), 4.0), (t(1, 8, 59, 59.5), 6.0), (t(1, 9), 10.0),
        (t(1, 15, 59, 59), 3.0), (t(1, 16), 5.0))  # 16:00 UTC is 00:00 北京时间: the next day
    put(b, (t(1, 8, 15), 100.0))
    result = rollup.rollup(now=NOW)
    assert hourly(a) == [
        (t(1, 7), 1, 1.0, 1.0, 1.0, t(1, 7, 59, 59), t(1, 7, 59, 59)),
        (t(1, 8), 3, 2.0, 6.0, 12.0, t(1, 8), t(1, 8, 59, 59.5)),  # 08:00:00 opens the new hour
        (t(1, 9), 1, 10.0, 10.0, 10.0, t(1, 9), t(1, 9)),
        (t(1, 15), 1, 3.0, 3.0, 3.0, t(1, 15, 59, 59), t(1, 15, 59, 59)),
        (t(1, 16), 1, 5.0, 5.0, 5.0, t(1, 16), t(1, 16)),
    ]
    assert hourly(b) == [(t(1, 8), 1, 100.0, 100.0, 100.0, t(1, 8, 15), t(1, 8, 15))]
    assert daily(a) == [  # 北京时间 7 月 1 日 = [6-30 16:00, 7-01 16:00) UTC; 7 月 2 日 from 7-01 16:00
        (t(30, 16, month=6), 6, 1.0, 10.0, 26.0, t(1, 7, 59, 59), t(1, 15, 59, 59)),
        (t(1, 16), 1, 5.0, 5.0, 5.0, t(1, 16), t(1, 16)),
    ]
    assert (result.hours, result.days) == (6, 3)
    assert (rollup.mark("hour"), rollup.mark("day")) == (NOW, t(2, 16))  # 7 月 3 日 00:00 北京时间 not complete yet
    assert HourlyAggregate.objects.get(datastream_id=a.id, bucket=t(1, 8)).avg_value == 4.0


def test_a_second_run_changes_nothing_and_a_late_reading_is_taken_in(streams):
    a, _ = streams
    now = t(2, 16, 30)  # 北京时间 7 月 3 日 00:30: 7 月 2 日 is complete
    put(a, (t(2, 14, 10), 1.0), (t(2, 15, 50), 3.0), now=now)
    rollup.rollup(now=now)
    before = (hourly(a), daily(a))
    again = rollup.rollup(now=now)
    assert (again.hours, again.days) == (0, 0) and (hourly(a), daily(a)) == before
    assert daily(a) == [(t(1, 16), 2, 1.0, 3.0, 4.0, t(2, 14, 10), t(2, 15, 50))]
    put(a, (t(2, 15, 55), 5.0), now=now)  # arrives after its hour and day were rolled up, within the re-rolled window
    late = rollup.rollup(now=now + dt.timedelta(minutes=5))
    assert (late.hours, late.days) == (1, 1)
    assert hourly(a)[-1] == (t(2, 15), 2, 3.0, 5.0, 8.0, t(2, 15, 50), t(2, 15, 55))
    assert daily(a) == [(t(1, 16), 3, 1.0, 5.0, 9.0, t(2, 14, 10), t(2, 15, 55))]


def test_an_interrupted_run_resumes_where_it_stopped(streams):
    a, _ = streams
    points = [(t(day, hour, 30), float(day * 100 + hour)) for day in (1, 2) for hour in range(0, 24, 5)]
    put(a, *points)

    class Killed(Exception):
        pass

    def kill_after_first_range(done, total, message=""):
        if done == 1:
            raise Killed

    with pytest.raises(Killed):
        rollup.rollup(now=NOW, progress=kill_after_first_range)
    first = rollup.mark("hour")
    assert first == t(1, 0) + rollup.HOUR_CHUNK  # the first 24 hours committed with their watermark
    assert [row[0] for row in hourly(a)] == [t(1, h) for h in range(0, 24, 5)]
    assert not daily(a)
    rollup.rollup(now=NOW)
    assert hourly(a) == [(when.replace(minute=0), 1, v, v, v, when, when) for when, v in points]
    by_day = {}  # 北京时间 days, by hand
    for when, v in points:
        by_day.setdefault(rollup.floor_day(when), []).append((when, v))
    assert daily(a) == [(d, len(rows), min(v for _, v in rows), max(v for _, v in rows), sum(v for _, v in rows),
                         rows[0][0], rows[-1][0]) for d, rows in sorted(by_day.items()) if d + dt.timedelta(days=1) <= t(2, 16)]


def test_imported_history_older_than_the_watermark_is_rolled_up_again(streams, tmp_path):
    a, _ = streams
    now = dt.datetime.now(UTC)
    put(a, (rollup.floor_hour(now) - dt.timedelta(hours=5), 1.0), now=now)
    rollup.rollup(now=now)
    old = rollup.floor_hour(now) - dt.timedelta(days=3)
    f = tmp_path / "history.csv"
    f.write_text(f"数据流编号,观测时间,读数\n{a.id},{old.isoformat()},2\n{a.id},{(old + dt.timedelta(minutes=59)).isoformat()},4\n",
                 encoding="utf-8")
    call_command("lifeline", "import", str(f), stdout=io.StringIO())
    assert rollup.mark("hour") == old
    rollup.rollup(now=now)
    assert hourly(a)[0][:5] == (old, 2, 2.0, 4.0, 6.0) and rollup.mark("hour") == rollup.floor_hour(now)


def test_retention_removes_only_rolled_up_readings_and_takes_in_late_ones(streams, regions, monkeypatch):
    a, _ = streams
    monkeypatch.setattr(rollup, "PURGE_CHUNK_ROWS", 2)  # several bounded chunks where rows are deleted
    city = rollup.city()
    RetentionSettings.objects.create(city=city, raw_days=30, hourly_days=120)
    now = t(20, 0, month=8)
    may = [(t(d, 10, month=5), float(d)) for d in (3, 4, 31)]
    june = [(t(d, 10, month=6), float(d)) for d in (2, 20)]
    put(a, *may, *june, now=now)
    assert rollup.purge(now=now).raw_cut is None  # nothing rolled up: nothing removed
    assert raw_count() == 5
    rollup.rollup(now=t(15, 0, month=6))  # rolled up until 6 月 15 日 only
    put(a, (t(4, 10, 30, month=5), 40.0), now=now)  # a late reading in an hour already rolled up
    result = rollup.purge(now=now)
    assert result.raw_cut == t(15, 0, month=6)  # not 7 月 21 日: later readings have no aggregate yet
    assert raw_count(t(1, 0, month=6)) == 0 and raw_count(t(15, 0, month=6)) == (0 if connection.vendor == "sqlite" else 1)
    assert raw_count() - raw_count(t(15, 0, month=6)) == 1  # 6 月 20 日 kept
    hours = {row[0]: row[1:5] for row in hourly(a)}
    assert hours[t(4, 10, month=5)] == (2, 4.0, 40.0, 44.0)  # the late reading was aggregated before its row went
    assert hours[t(3, 10, month=5)] == (1, 3.0, 3.0, 3.0) and hours[t(2, 10, month=6)] == (1, 2.0, 2.0, 2.0)
    assert {row[0]: row[1] for row in daily(a)}[rollup.floor_day(t(4, 10, month=5))] == 2
    entry = AuditLog.objects.filter(object_id=str(RollupMark.objects.get(level="raw_purge").pk)).latest("id")
    assert "数据保留：删除" in entry.note and entry.user is None and entry.source == "system"
    if connection.vendor == "postgresql":  # the whole May partition was dropped; June stays whole
        assert result.dropped == ["lifeline_observation_202605"]
        with connection.cursor() as cur:
            cur.execute("SELECT to_regclass('lifeline_observation_202605'), to_regclass('lifeline_observation_202606')")
            assert cur.fetchone() == (None, "lifeline_observation_202606")
    else:
        assert result.raw_rows == 5  # May (4) and 6 月 2 日
    again = rollup.purge(now=now)
    assert (again.raw_rows, again.hourly_rows) == (0, 0)


def test_hourly_aggregates_go_only_after_their_days_are_rolled_up(streams, regions):
    a, _ = streams
    RetentionSettings.objects.create(city=rollup.city(), raw_days=30, hourly_days=90)
    put(a, (t(10, 3, month=1), 1.0), (t(10, 5, month=1), 3.0), now=t(2, 0, month=2))
    rollup.rollup(now=t(1, 0, month=2))  # days rolled up until 2 月 1 日 (北京时间) 00:00 = 1-31 16:00 UTC
    assert len(hourly(a)) == 2
    result = rollup.purge(now=t(15, 0, month=5))  # 1 月 10 日 is older than 90 days
    assert result.hourly_cut == t(31, 16, month=1) and result.hourly_rows == (2 if connection.vendor == "sqlite" else 0)
    rollup.rollup(now=t(2, 0, month=2))  # now the whole of January is in days
    result = rollup.purge(now=t(15, 0, month=5))
    assert result.hourly_cut == t(1, 16, month=2) and not hourly(a) and raw_count() == 0
    if connection.vendor == "postgresql":
        assert result.hourly_rows == 2 and result.dropped == ["lifeline_hourly_202601"]
    assert daily(a)[0][1:5] == (2, 1.0, 3.0, 4.0)  # the day survives


def test_the_tick_launches_each_job_once_and_the_jobs_run(streams, regions):
    a, _ = streams
    now = dt.datetime.now(UTC)
    put(a, (floor := rollup.floor_hour(now) - dt.timedelta(hours=3), 1.0), (floor + dt.timedelta(minutes=30), 2.0), now=now)
    call_command("lifeline", "tick", stdout=io.StringIO())
    call_command("lifeline", "tick", stdout=io.StringIO())  # the same minute: nothing new
    assert sorted(Job.objects.values_list("kind", flat=True)) == [jobs.RETENTION, jobs.ROLLUP]
    assert run_pending() == 2
    assert set(Job.objects.values_list("status", flat=True)) == {JobStatus.SUCCEEDED}
    rolled = Job.objects.get(kind=jobs.ROLLUP)
    assert "小时聚合" in rolled.result_summary["text"] and rolled.progress_total >= 1
    assert hourly(a)[0][1:5] == (2, 1.0, 2.0, 3.0)
    created = rolled.created_at
    assert jobs.launch_due(now=created + dt.timedelta(minutes=59)) == []  # both sides of the hour
    launched = jobs.launch_due(now=created + dt.timedelta(minutes=61))
    assert [j.kind for j in launched] == [jobs.ROLLUP]
    assert jobs.launch_due(now=created + dt.timedelta(hours=3)) == []  # one is queued
    launched[0].status = JobStatus.SUCCEEDED
    launched[0].save()
    assert {j.kind for j in jobs.launch_due(now=created + dt.timedelta(days=1, minutes=1))} == {jobs.ROLLUP, jobs.RETENTION}


def test_chart_reads_raw_hourly_or_daily_by_span(client, city_admin, streams):
    a, _ = streams
    now = dt.datetime.now(UTC)
    base = rollup.floor_hour(now) - dt.timedelta(days=20)
    put(a, (base, 1.0), (base + dt.timedelta(minutes=20), 3.0), (now - dt.timedelta(minutes=30), 7.0), now=now)
    rollup.rollup(now=now - dt.timedelta(days=1))  # aggregated until yesterday: the last day comes from raw readings
    client.force_login(city_admin)
    url = reverse("lifeline:series", args=[a.pk])
    week = client.get(url + "?hours=168").json()
    assert week["resolution"] == "raw" and [p[1] for p in week["points"]] == [7.0] and week["band"] == []
    month = client.get(url + "?hours=720").json()
    assert month["resolution"] == "hour" and [p[1] for p in month["points"]] == [2.0, 7.0]
    assert [b[1:] for b in month["band"]] == [[1.0, 3.0], [7.0, 7.0]]
    year = client.get(url + f"?hours={24 * 366}").json()
    assert year["resolution"] == "day" and [b[1:] for b in year["band"]] == [[1.0, 3.0], [7.0, 7.0]]
    assert client.get(url + "?hours=2161").json()["resolution"] == "day"
    assert client.get(url + "?hours=2160").json()["resolution"] == "hour"


def test_retention_settings_page_city_admin_only_and_audited(client, city_admin, zhongyuan_editor):
    client.force_login(zhongyuan_editor)
    page = client.get(reverse("lifeline:retention")).content.decode()
    assert "400 天（默认）" in page and "1095 天（默认）" in page and 'data-testid="edit-button"' not in page
    assert client.post(reverse("lifeline:retentionsettings_add"), {"raw_days": 60, "hourly_days": 365}).status_code == 403
    client.force_login(city_admin)
    assert reverse("lifeline:retentionsettings_add") in client.get(reverse("lifeline:retention")).content.decode()
    form = client.get(reverse("lifeline:retentionsettings_add")).content.decode()
    assert "原始读数保留（天）" in form and "小时聚合保留（天）" in form
    r = client.post(reverse("lifeline:retentionsettings_add"), {"raw_days": 200, "hourly_days": 100})
    assert r.status_code == 400 and "不得短于原始读数的保留期限" in r.content.decode()
    r = client.post(reverse("lifeline:retentionsettings_add"), {"raw_days": 29, "hourly_days": 365})
    assert r.status_code == 400 and "原始读数至少保留 30 天" in r.content.decode()
    assert client.post(reverse("lifeline:retentionsettings_add"), {"raw_days": 30, "hourly_days": 365}).status_code == 302
    conf = RetentionSettings.objects.get()
    assert rollup.retention_periods() == (30, 365)
    entry = AuditLog.objects.get(object_id=str(conf.pk), content_type__model="retentionsettings")
    assert entry.user == city_admin and entry.action == "create"
    client.force_login(zhongyuan_editor)
    assert client.post(reverse("lifeline:retentionsettings_edit", args=[conf.pk]),
                       {"raw_days": 400, "hourly_days": 1095, "row_version": conf.row_version}).status_code == 403
    page = client.get(reverse("lifeline:retention")).content.decode()
    assert "30 天" in page and "365 天" in page and "（默认）" not in page
    client.force_login(city_admin)
    r = client.post(reverse("lifeline:retentionsettings_edit", args=[conf.pk]),
                    {"raw_days": 60, "hourly_days": 365, "row_version": conf.row_version})
    assert r.status_code == 302 and rollup.retention_periods() == (60, 365)
    assert AuditLog.objects.filter(object_id=str(conf.pk), content_type__model="retentionsettings",
                                   action="update", changes__raw_days=[30, 60]).exists()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_rows_in_the_default_partition_are_deleted_in_chunks(streams, regions, monkeypatch):
    a, _ = streams
    monkeypatch.setattr(rollup, "PURGE_CHUNK_ROWS", 2)
    RetentionSettings.objects.create(city=rollup.city(), raw_days=30, hourly_days=120)
    with connection.cursor() as cur:  # e.g. restored from a backup: a month without its partition
        cur.execute("INSERT INTO lifeline_observation (datastream_id, phenomenon_time, result) "
                    "SELECT %s, t, 1.0 FROM generate_series(%s::timestamptz, %s::timestamptz, interval '1 hour') t",
                    [a.id, t(1, 0, month=3), t(1, 4, month=3)])
    rollup.rollup(now=t(1, 0, month=4))
    result = rollup.purge(now=t(1, 0, month=5))  # 30 days: before 4 月 1 日
    assert result.raw_rows == 5 and result.dropped == [] and raw_count() == 0
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('lifeline_observation_202603')")
        assert cur.fetchone() == (None,)  # they were in the DEFAULT partition
    assert [row[1] for row in hourly(a)] == [1] * 5 and daily(a)[0][1] == 5

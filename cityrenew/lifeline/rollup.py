"""Downsampling (小时/日聚合) and retention (数据保留) of the readings, in SQL.

* :func:`rollup` rolls up the complete hours and days not yet rolled up: ``INSERT … SELECT … GROUP BY``
  (``date_trunc`` on PostgreSQL, ``strftime`` on SQLite) upserted on ``(datastream, bucket)``, in ranges of
  :data:`HOUR_CHUNK` / :data:`DAY_CHUNK`, each range committed together with its level's watermark
  (:class:`~cityrenew.lifeline.models.RollupMark`), so a killed run resumes where it stopped and a second
  run writes the same values (an unchanged bucket is not even rewritten). Hours are UTC-aligned
  (``[hh:00, hh+1:00)``: a reading at exactly hh:00:00 belongs to the new hour); days are days of
  ``TIME_ZONE`` (北京时间), built from the hours. Each run re-rolls the last :data:`LATE` of each level,
  so readings arriving late are taken in; :func:`reopen` lowers the watermarks after a history import.
* :func:`purge` applies the city's :class:`~cityrenew.lifeline.models.RetentionSettings`: raw readings
  older than ``raw_days`` and hourly aggregates older than ``hourly_days`` go — only below the watermark
  of the level built from them (never data without an aggregate), and each range is re-aggregated in the
  transaction that removes it, so a reading that arrived late is in the aggregates before its row goes.
  PostgreSQL drops whole month partitions (``DETACH`` + ``DROP``: instant, whatever their size); SQLite
  (and rows in a PostgreSQL DEFAULT partition) are deleted in bounded chunks, each its own transaction,
  behind a purge watermark. Every removal is written to the audit log (the job's owner, or 系统).
* :func:`chart_series` is what the device chart reads: raw readings up to :data:`RAW_SPAN`, hourly
  aggregates up to :data:`HOURLY_SPAN`, daily beyond (with the minimum/maximum of each bucket), the part
  after the watermark aggregated on the fly from the raw readings.

Readings of a deleted datastream are not aggregated (the rollup walks the datastreams through the
``(datastream_id, phenomenon_time)`` index); they go with their month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .storage import TABLE as RAW
from .storage import create_month_partition, months_spanned, partition_name, partitions

HOURLY = "lifeline_hourly"
DAILY = "lifeline_daily"
UTC = dt.timezone.utc
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
HOUR_CHUNK = dt.timedelta(hours=24)  # hours rolled up per transaction
DAY_CHUNK = dt.timedelta(days=7)  # days rolled up per transaction
LATE = {"hour": dt.timedelta(hours=2), "day": dt.timedelta(days=1)}  # re-rolled on every run (late readings)
PURGE_CHUNK_ROWS = 20_000  # rows per DELETE where rows are deleted (SQLite, a DEFAULT partition)
RAW_SPAN = dt.timedelta(days=7)  # the chart reads raw readings up to this span, hourly aggregates beyond…
HOURLY_SPAN = dt.timedelta(days=90)  # … and daily aggregates beyond this one
AGG_COLUMNS = "n, min_value, max_value, sum_value, first_time, last_time"

Progress = Callable[[int, int, str], None]


def _noop(done: int, total: int, message: str = "") -> None:
    return None


# --- time ---------------------------------------------------------------------------------------

def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def floor_hour(t: dt.datetime) -> dt.datetime:
    return t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def floor_day(t: dt.datetime) -> dt.datetime:
    """The start (as UTC) of the local day ``t`` falls in."""
    local = t.astimezone(local_tz())
    return dt.datetime(local.year, local.month, local.day, tzinfo=local_tz()).astimezone(UTC)


def ceil_day(t: dt.datetime) -> dt.datetime:
    start = floor_day(t)
    return start if start == t else floor_day(start + dt.timedelta(hours=36))


def _as_dt(value) -> dt.datetime | None:
    """A time read back from raw SQL: aware on PostgreSQL, text (UTC) on SQLite."""
    if value is None or isinstance(value, dt.datetime):
        return value.astimezone(UTC) if value is not None and value.tzinfo else (value.replace(tzinfo=UTC) if value else None)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def _p(t: dt.datetime):
    """A time as a query parameter (SQLite stores UTC text, as Django writes it)."""
    return t if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(t)


def _hour_expr(col: str) -> str:
    if connection.vendor == "postgresql":
        return f"date_trunc('hour', {col}, 'UTC')"
    return f"strftime('%%Y-%%m-%%d %%H:00:00', {col})"


def _day_expr(col: str) -> str:
    tz = settings.TIME_ZONE
    ZoneInfo(tz)  # a valid zone name, so it may stand in the SQL text
    if connection.vendor == "postgresql":
        return f"date_trunc('day', {col}, '{tz}')"
    # SQLite knows no zone names: the zone's current offset (北京时间 has no summer time)
    off = int(timezone.now().astimezone(local_tz()).utcoffset().total_seconds() // 60)
    return f"datetime(strftime('%%Y-%%m-%%d 00:00:00', {col}, '{off:+d} minutes'), '{-off:+d} minutes')"


def _join() -> str:
    """Datastreams first, then an index range per datastream: SQLite's planner would otherwise scan the whole
    ``(datastream_id, time)`` index (``CROSS JOIN`` fixes the order there); PostgreSQL chooses it itself."""
    return "CROSS JOIN" if connection.vendor == "sqlite" else "JOIN"


def _execute(sql: str, params: list) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return max(cur.rowcount, 0)


def _scalar(sql: str, params: list):
    with connection.cursor() as cur:
        cur.execute(sql, params)
        row = cur.fetchone()
        return row[0] if row else None


# --- watermarks ---------------------------------------------------------------------------------

def mark(level: str) -> dt.datetime | None:
    from .models import RollupMark

    return RollupMark.objects.filter(level=level).values_list("until", flat=True).first()


def set_mark(level: str, until: dt.datetime) -> None:
    from .models import RollupMark

    RollupMark.objects.update_or_create(level=level, defaults={"until": until})


def reopen(since: dt.datetime) -> None:
    """Roll up again from ``since`` (e.g. after importing history older than the watermarks); never below
    what retention already removed."""
    raw_purged, hours_purged = mark("raw_purge"), mark("hour_purge")
    for level, floor, lowest in (("hour", floor_hour(since), raw_purged),
                                 ("day", floor_day(since), ceil_day(hours_purged) if hours_purged else None)):
        current = mark(level)
        if current is not None and floor < current:
            set_mark(level, max(floor, lowest) if lowest else floor)


def earliest_raw() -> dt.datetime | None:
    """The time of the oldest reading: per datastream through its index (no scan of the readings)."""
    return _as_dt(_scalar(
        f"SELECT min((SELECT min(o.phenomenon_time) FROM {RAW} o WHERE o.datastream_id = s.id)) FROM lifeline_datastream s", []))


# --- partitions (PostgreSQL) --------------------------------------------------------------------

def ensure_hourly_partitions(lo: dt.datetime, hi: dt.datetime) -> None:
    """PostgreSQL: the month partitions of ``lifeline_hourly`` for [lo, hi) (rows of such a month already in
    the DEFAULT partition, e.g. restored from a backup, move into it)."""
    if connection.vendor != "postgresql" or hi <= lo:
        return
    existing = {name for name, _, _ in partitions(HOURLY)}
    for first, nxt in months_spanned([lo, hi - dt.timedelta(microseconds=1)]):  # the months [lo, hi) touches
        if partition_name(first, HOURLY) not in existing:
            create_month_partition(HOURLY, "bucket", first, nxt)


# --- the rollup statements ----------------------------------------------------------------------

def _upsert(table: str) -> str:
    cols = AGG_COLUMNS.split(", ")
    return (f"ON CONFLICT (datastream_id, bucket) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in cols)} "
            f"WHERE {' OR '.join(f'{table}.{c} <> excluded.{c}' for c in cols)}")


def roll_hours(lo: dt.datetime, hi: dt.datetime) -> int:
    """Aggregate the readings of the hours in [lo, hi) (hour-aligned) into ``lifeline_hourly``; returns the
    buckets written or changed."""
    if hi <= lo:
        return 0
    ensure_hourly_partitions(lo, hi)
    h = _hour_expr("o.phenomenon_time")
    return _execute(
        f"INSERT INTO {HOURLY} (datastream_id, bucket, {AGG_COLUMNS}) "
        f"SELECT o.datastream_id, {h}, count(*), min(o.result), max(o.result), sum(o.result), "
        "min(o.phenomenon_time), max(o.phenomenon_time) "
        f"FROM lifeline_datastream s {_join()} {RAW} o ON o.datastream_id = s.id "
        f"WHERE o.phenomenon_time >= %s AND o.phenomenon_time < %s GROUP BY o.datastream_id, {h} " + _upsert(HOURLY),
        [_p(lo), _p(hi)])


def roll_days(lo: dt.datetime, hi: dt.datetime) -> int:
    """Aggregate the hourly aggregates of the local days in [lo, hi) (day-aligned) into ``lifeline_daily``."""
    if hi <= lo:
        return 0
    d = _day_expr("h.bucket")
    return _execute(
        f"INSERT INTO {DAILY} (datastream_id, bucket, {AGG_COLUMNS}) "
        f"SELECT h.datastream_id, {d}, sum(h.n), min(h.min_value), max(h.max_value), sum(h.sum_value), "
        "min(h.first_time), max(h.last_time) "
        f"FROM lifeline_datastream s {_join()} {HOURLY} h ON h.datastream_id = s.id "
        f"WHERE h.bucket >= %s AND h.bucket < %s GROUP BY h.datastream_id, {d} " + _upsert(DAILY),
        [_p(lo), _p(hi)])


def _roll_days_after_hours(lo: dt.datetime, hi: dt.datetime) -> int:
    """Re-aggregate the days touched by re-aggregated hours [lo, hi): those whose hours are all present
    (not below the hourly purge mark) and rolled up (not beyond the hourly watermark)."""
    start = floor_day(lo)
    purged = mark("hour_purge")
    if purged is not None:
        start = max(start, ceil_day(purged))
    end = min(ceil_day(hi), floor_day(mark("hour") or hi))
    return roll_days(start, end)


@dataclass
class RollupResult:
    hours: int = 0  # hourly buckets written or changed
    days: int = 0
    hour_until: dt.datetime | None = None
    day_until: dt.datetime | None = None

    def text(self) -> str:
        if self.hour_until is None:
            return "尚无读数，无需聚合"
        at = self.hour_until.astimezone(local_tz())
        return (f"小时聚合写入 {self.hours} 个时段，日聚合写入 {self.days} 个时段；"
                f"已聚合至 {at:%Y-%m-%d %H:%M}（北京时间）")


def _ranges(lo: dt.datetime, hi: dt.datetime, step: dt.timedelta, floor: Callable) -> list[tuple[dt.datetime, dt.datetime]]:
    """[lo, hi) cut into ranges of ``step``, ending on boundaries of ``floor``."""
    out = []
    while lo < hi:
        nxt = floor(lo + step)
        nxt = min(nxt if nxt > lo else lo + step, hi)
        out.append((lo, nxt))
        lo = nxt
    return out


def rollup(*, now: dt.datetime | None = None, progress: Progress = _noop) -> RollupResult:
    """Roll up every complete hour and day not rolled up yet (and the last :data:`LATE` again). Each range
    is one transaction with its watermark; call it outside a transaction to keep that property."""
    now = now or timezone.now()
    result = RollupResult()
    hour_end = floor_hour(now)
    hour_mark = mark("hour")
    if hour_mark is None:
        first = earliest_raw()
        if first is None:
            progress(1, 1, "尚无读数")
            return result
        hour_mark = floor_hour(first)
        with transaction.atomic():
            set_mark("hour", hour_mark)
            if mark("day") is None:
                set_mark("day", floor_day(first))
        hour_lo = hour_mark
    else:
        hour_lo = max(hour_mark - LATE["hour"], mark("raw_purge") or hour_mark - LATE["hour"])
    hour_ranges = _ranges(hour_lo, hour_end, HOUR_CHUNK, floor_hour)
    # days: complete local days whose hours are all rolled up by the end of this run
    day_mark = mark("day") or floor_day(hour_lo)
    day_end = floor_day(min(hour_end, now))
    day_lo = max(day_mark - LATE["day"], ceil_day(mark("hour_purge") or day_mark - LATE["day"]))
    day_ranges = _ranges(day_lo, day_end, DAY_CHUNK, floor_day)
    total = len(hour_ranges) + len(day_ranges)
    done = 0
    progress(done, total, "小时聚合")
    for lo, hi in hour_ranges:
        with transaction.atomic():
            result.hours += roll_hours(lo, hi)
            if hi > (mark("hour") or hi):
                set_mark("hour", hi)
        done += 1
        progress(done, total, f"小时聚合至 {hi.astimezone(local_tz()):%Y-%m-%d %H:%M}")
    for lo, hi in day_ranges:
        with transaction.atomic():
            result.days += roll_days(lo, hi)
            if hi > (mark("day") or hi):
                set_mark("day", hi)
        done += 1
        progress(done, total, f"日聚合至 {hi.astimezone(local_tz()):%Y-%m-%d}")
    result.hour_until, result.day_until = mark("hour"), mark("day")
    progress(total, total, "完成")
    return result


# --- retention ----------------------------------------------------------------------------------

def city():
    from cityrenew.core.choices import RegionLevel
    from cityrenew.core.models import Region

    return Region.objects.filter(level=RegionLevel.CITY).order_by("code").first()


def retention_periods() -> tuple[int, int]:
    """(raw_days, hourly_days) of the city, or the defaults (400 and 1095 days)."""
    from .models import RetentionSettings

    conf = RetentionSettings.objects.filter(city=city()).first() or RetentionSettings()  # the model's defaults
    return conf.raw_days, conf.hourly_days


@dataclass
class PurgeResult:
    raw_rows: int = 0
    hourly_rows: int = 0
    dropped: list[str] = field(default_factory=list)  # partitions dropped
    raw_cut: dt.datetime | None = None
    hourly_cut: dt.datetime | None = None

    def text(self) -> str:
        if self.raw_cut is None:
            return "尚未聚合任何读数，未删除数据"
        parts = [f"删除原始读数 {self.raw_rows} 条（{self.raw_cut.astimezone(local_tz()):%Y-%m-%d %H:%M} 以前）",
                 f"小时聚合 {self.hourly_rows} 条"]
        if self.dropped:
            parts.append("删除分区 " + "、".join(self.dropped))
        return "；".join(parts)


def _audit(level: str, changes: dict, note: str) -> None:
    from cityrenew.core import audit
    from cityrenew.core.choices import AuditAction
    from cityrenew.core.models import AuditLog

    from .models import RollupMark

    job = audit.current().note  # 后台任务 #N … when run as a job
    AuditLog.record(RollupMark.objects.get(level=level), AuditAction.DELETE, changes,
                    note=f"{note}（{job}）" if job else note)


def _drop_partition(table: str, name: str) -> None:
    from .storage import forget_partitions

    with connection.cursor() as cur:
        cur.execute(f"ALTER TABLE {table} DETACH PARTITION {name}")
        cur.execute(f"DROP TABLE {name}")
    forget_partitions([name])  # the batch path asks the catalogue again before it writes into that month


def _delete_chunks(table: str, col: str, cut: dt.datetime, progress: Progress, what: str) -> int:
    """Delete the rows of ``table`` with ``col < cut``, :data:`PURGE_CHUNK_ROWS` per transaction."""
    key = "ctid" if connection.vendor == "postgresql" else "rowid"
    total = 0
    while True:
        with transaction.atomic():
            n = _execute(f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {col} < %s LIMIT %s)",
                         [_p(cut), PURGE_CHUNK_ROWS])
        total += n
        progress(total, total + (PURGE_CHUNK_ROWS if n else 0), f"删除{what} {total} 条")
        if n < PURGE_CHUNK_ROWS:
            return total


def _purge_raw(cut: dt.datetime, result: PurgeResult, progress: Progress) -> None:
    pg = connection.vendor == "postgresql"
    if pg:  # whole months: re-aggregate, then DETACH + DROP, in one transaction per month
        for name, first, nxt in partitions(RAW):
            if nxt > cut:
                break
            done = mark("raw_purge")
            lo = max(first, done) if done else first
            ensure_hourly_partitions(lo, nxt)
            with transaction.atomic():
                with connection.cursor() as cur:  # no reading can enter this month until it is gone
                    cur.execute(f"LOCK TABLE {name} IN SHARE MODE")
                roll_hours(lo, nxt)
                rows = _scalar(f"SELECT count(*) FROM {name}", [])
                set_mark("raw_purge", max(nxt, done or nxt))
                _roll_days_after_hours(lo, nxt)
                _drop_partition(RAW, name)
                _audit("raw_purge", {"partition": name, "rows": rows, "before": nxt.isoformat()},
                       f"数据保留：删除 {first:%Y-%m} 的原始读数分区 {name}（{rows} 条，已汇总为小时聚合）")
            result.raw_rows += rows
            result.dropped.append(name)
            progress(len(result.dropped), len(result.dropped) + 1, f"已删除分区 {name}")
        table = f"{RAW}_default"
        if _scalar(f"SELECT 1 FROM {table} WHERE phenomenon_time < %s LIMIT 1", [_p(cut)]) is None:
            return
    else:
        table = RAW
    # rows (SQLite; PostgreSQL's DEFAULT partition): re-aggregate day by day behind the purge mark, then delete
    done = mark("raw_purge")
    lo = done or floor_hour(earliest_raw() or cut)
    for a, b in _ranges(lo, cut, DAY, floor_hour):
        with transaction.atomic():
            roll_hours(a, b)
            set_mark("raw_purge", b)
            _roll_days_after_hours(a, b)
    if mark("raw_purge") is None:
        return
    until = mark("raw_purge")
    n = _delete_chunks(table, "phenomenon_time", until, progress, "原始读数")
    if n:
        with transaction.atomic():
            _audit("raw_purge", {"table": table, "rows": n, "before": until.isoformat()},
                   f"数据保留：删除 {until.astimezone(local_tz()):%Y-%m-%d %H:%M} 以前的原始读数 {n} 条（已汇总为小时聚合）")
    result.raw_rows += n


def _purge_hourly(cut: dt.datetime, result: PurgeResult, progress: Progress) -> None:
    table = HOURLY
    if connection.vendor == "postgresql":
        for name, first, nxt in partitions(HOURLY):
            if nxt > cut:
                break
            with transaction.atomic():
                rows = _scalar(f"SELECT count(*) FROM {name}", [])
                set_mark("hour_purge", max(nxt, mark("hour_purge") or nxt))
                _drop_partition(HOURLY, name)
                _audit("hour_purge", {"partition": name, "rows": rows, "before": nxt.isoformat()},
                       f"数据保留：删除 {first:%Y-%m} 的小时聚合分区 {name}（{rows} 条，已汇总为日聚合）")
            result.hourly_rows += rows
            result.dropped.append(name)
        table = f"{HOURLY}_default"
    with transaction.atomic():
        if cut > (mark("hour_purge") or cut - HOUR):
            set_mark("hour_purge", cut)
    n = _delete_chunks(table, "bucket", cut, progress, "小时聚合")
    if n:
        with transaction.atomic():
            _audit("hour_purge", {"table": table, "rows": n, "before": cut.isoformat()},
                   f"数据保留：删除 {cut.astimezone(local_tz()):%Y-%m-%d %H:%M} 以前的小时聚合 {n} 条（已汇总为日聚合）")
    result.hourly_rows += n


def purge(*, now: dt.datetime | None = None, progress: Progress = _noop) -> PurgeResult:
    """Apply the retention periods; only ranges already rolled up into the next level are removed."""
    now = now or timezone.now()
    result = PurgeResult()
    raw_days, hourly_days = retention_periods()
    hour_mark, day_mark = mark("hour"), mark("day")
    if hour_mark is None:
        return result
    result.raw_cut = min(floor_hour(now - dt.timedelta(days=raw_days)), hour_mark)
    _purge_raw(result.raw_cut, result, progress)
    if day_mark is not None:
        result.hourly_cut = min(floor_hour(now - dt.timedelta(days=hourly_days)), floor_hour(day_mark))
        _purge_hourly(result.hourly_cut, result, progress)
    return result


# --- the chart ----------------------------------------------------------------------------------

@dataclass
class Series:
    resolution: str  # raw / hour / day
    points: list[tuple[dt.datetime, float]]
    band: list[tuple[dt.datetime, float, float]]  # (bucket, min, max) of aggregated points


def _aggregated(table: str, datastream_id: int, lo: dt.datetime, hi: dt.datetime) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT bucket, n, min_value, max_value, sum_value FROM {table} "
                    "WHERE datastream_id = %s AND bucket >= %s AND bucket < %s ORDER BY bucket",
                    [datastream_id, _p(lo), _p(hi)])
        return [(_as_dt(b), n, mn, mx, s) for b, n, mn, mx, s in cur.fetchall()]


def _on_the_fly(level: str, datastream_id: int, lo: dt.datetime, hi: dt.datetime) -> list[tuple]:
    """The buckets of one datastream after the watermark, aggregated from its raw readings."""
    if hi <= lo:
        return []
    if level == "hour":
        expr = _hour_expr("phenomenon_time")
    elif connection.vendor == "postgresql":
        expr = f"date_trunc('day', phenomenon_time, '{settings.TIME_ZONE}')"
    else:
        expr = _day_expr("phenomenon_time")
    with connection.cursor() as cur:
        cur.execute(f"SELECT {expr}, count(*), min(result), max(result), sum(result) FROM {RAW} "
                    "WHERE datastream_id = %s AND phenomenon_time >= %s AND phenomenon_time < %s "
                    f"GROUP BY {expr} ORDER BY 1", [datastream_id, _p(lo), _p(hi)])
        return [(_as_dt(b), n, mn, mx, s) for b, n, mn, mx, s in cur.fetchall()]


def chart_series(datastream_id: int, start: dt.datetime, end: dt.datetime) -> Series:
    """One datastream over [start, end) at the resolution its span calls for."""
    from .storage import series

    span = end - start
    if span <= RAW_SPAN:
        return Series("raw", series(datastream_id, start, end), [])
    level, table, floor = ("hour", HOURLY, floor_hour) if span <= HOURLY_SPAN else ("day", DAILY, floor_day)
    lo = floor(start)
    until = mark(level)
    split = min(max(until, lo), end) if until is not None else lo
    rows = _aggregated(table, datastream_id, lo, split) + _on_the_fly(level, datastream_id, split, end)
    return Series(level, [(b, s / n) for b, n, _mn, _mx, s in rows], [(b, mn, mx) for b, _n, mn, mx, _s in rows])

"""The batch path for readings (读数入库): validate everything, then store everything, or nothing.

:func:`ingest` takes readings from any channel (SensorThings REST, MQTT, CSV import, the simulator),
checks each one (the datastream exists and, for a device's own key, belongs to that device; the device's
key is not revoked; the unit, when the sender states one, is the datastream's; the value is a finite
number; the time carries a zone, is not in the future beyond the allowed clock skew and not older than the
accepted age) and refuses the whole batch with every problem listed in Chinese when one fails. A batch
that passes is written in one transaction: an :class:`~cityrenew.lifeline.models.IngestBatch`, the rows
(PostgreSQL: ``COPY``; SQLite: one ``executemany``), each datastream's latest reading, and the alarm
rules' verdicts (:mod:`cityrenew.lifeline.alarms`). On PostgreSQL the month partitions a batch needs
are created first (:func:`ensure_partitions`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import math
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import Device, IngestBatch

TABLE = "lifeline_observation"
# accepted clock skew of a sender (a reading "from the future" beyond it is refused) and the oldest
# reading accepted (history older than that goes through an administrator's CSV import with --max-age-days)
FUTURE_SKEW = dt.timedelta(seconds=int(getattr(settings, "CITYRENEW_LIFELINE_FUTURE_SKEW_S", 300)))
MAX_AGE = dt.timedelta(days=int(getattr(settings, "CITYRENEW_LIFELINE_MAX_AGE_DAYS", 400)))


@dataclass(frozen=True)
class Reading:  # 一条读数
    datastream_id: int
    phenomenon_time: dt.datetime
    result: Any
    result_time: dt.datetime | None = None
    unit: str | None = None  # unit symbol stated by the sender, if any


@dataclass
class Problem:  # 一条读数的问题
    index: int  # 1-based position in the batch
    field: str
    reason: str

    def __str__(self) -> str:
        return f"第 {self.index} 条「{self.field}」：{self.reason}"


class IngestError(ValueError):
    """A refused batch; nothing was stored. ``problems`` lists each reading's problem."""

    def __init__(self, problems: Sequence[Problem], *, limit: int = 20) -> None:
        self.problems = list(problems)
        shown = "；".join(str(p) for p in self.problems[:limit])
        more = f"；另有 {len(self.problems) - limit} 条问题" if len(self.problems) > limit else ""
        super().__init__(f"读数未入库（共 {len(self.problems)} 条问题，整批未保存）：{shown}{more}")


@dataclass
class IngestResult:  # 入库结果
    batch_id: int
    count: int
    datastreams: int
    events: list[Any] = field(default_factory=list)  # alarms.Change
    ids: list[int] = field(default_factory=list)  # the new rows' ids, when asked for (small batches)


@dataclass(frozen=True)
class Stream:  # what the batch path needs of a datastream (read in one query, no model instances)
    id: int
    device_id: int
    device_code: str
    key_revoked: bool
    unit_symbol: str
    observed_property_id: int
    sector: str


def pg_execute(sql: str, params: list) -> list[tuple]:
    """Run ``sql`` on PostgreSQL with server-side binding (psycopg's ``Cursor``; Django's own cursor binds on
    the client, quoting every element of an array parameter in Python), in the current transaction."""
    import psycopg

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cur:
        # %b: binary parameters, so arrays are sent without per-element text escaping
        cur.execute(sql.replace("%s", "%b"), params)
        return cur.fetchall() if cur.description else []


def fetch(sql: str, params: list) -> list[tuple]:
    """The rows of ``sql`` (``%s`` placeholders): :func:`pg_execute` on PostgreSQL, Django's cursor on SQLite."""
    if connection.vendor == "postgresql":
        return pg_execute(sql, params)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def id_filter(column: str, ids: list[int]) -> tuple[str, list]:
    """``column`` in ``ids`` as SQL: one array parameter on PostgreSQL (``= ANY(%s)``: the query text stays
    small whatever the batch), placeholders on SQLite."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def streams_of(ids: Iterable[int]) -> dict[int, Stream]:
    ids = list(ids)
    if not ids:
        return {}
    where, params = id_filter("s.id", ids)
    sql = ("SELECT s.id, s.device_id, d.code, d.key_revoked, s.unit_symbol, s.observed_property_id, d.sector "
           f"FROM lifeline_datastream s JOIN lifeline_device d ON d.id = s.device_id WHERE {where}")
    return {r[0]: Stream(r[0], r[1], r[2], bool(r[3]), r[4], r[5], r[6]) for r in fetch(sql, params)}


def _check(readings: Sequence[Reading], *, device: Device | None, now: dt.datetime,
           max_age: dt.timedelta) -> tuple[list[Problem], dict[int, Stream]]:
    problems: list[Problem] = []
    ids = {r.datastream_id for r in readings if isinstance(r.datastream_id, int)}
    streams = streams_of(ids)
    if device is not None and device.key_revoked:
        return [Problem(0, "设备", f"设备 {device.code} 的密钥已吊销，读数不予接收")], streams
    for i, r in enumerate(readings, 1):
        ds = streams.get(r.datastream_id) if isinstance(r.datastream_id, int) else None
        if ds is None:
            problems.append(Problem(i, "数据流", f"数据流 {r.datastream_id} 不存在"))
            continue
        if device is not None and ds.device_id != device.id:
            problems.append(Problem(i, "数据流", f"数据流 {ds.id} 不属于设备 {device.code}，不能以该设备身份报送"))
        if ds.key_revoked:
            problems.append(Problem(i, "设备", f"设备 {ds.device_code} 的密钥已吊销，读数不予接收"))
        if r.unit is not None and r.unit.strip() != ds.unit_symbol:
            problems.append(Problem(i, "单位", f"单位“{r.unit}”与数据流的单位“{ds.unit_symbol}”不一致"))
        try:
            value = float(r.result)
            ok = math.isfinite(value) and not isinstance(r.result, bool)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            problems.append(Problem(i, "读数", f"“{r.result}”不是有限数值"))
        t = r.phenomenon_time
        if not isinstance(t, dt.datetime) or t.tzinfo is None:
            problems.append(Problem(i, "观测时间", "缺少时区（请用带时区的 ISO 8601 时间，如 2026-07-01T08:00:00+08:00）"))
            continue
        if t > now + FUTURE_SKEW:
            problems.append(Problem(i, "观测时间", f"{t.isoformat()} 晚于当前时间（允许误差 {int(FUTURE_SKEW.total_seconds())} 秒）"))
        elif t < now - max_age:
            problems.append(Problem(i, "观测时间", f"{t.isoformat()} 早于可接收的最早时间（{max_age.days} 天以前）"))
    return problems, streams


def next_month(first: dt.date) -> dt.date:
    return dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)


def month_bounds(t: dt.datetime) -> tuple[dt.date, dt.date]:
    """The first day of ``t``'s month (UTC) and of the next month."""
    t = t.astimezone(dt.timezone.utc)
    first = dt.date(t.year, t.month, 1)
    return first, next_month(first)


def partition_name(first: dt.date, table: str = TABLE) -> str:
    return f"{table}_{first:%Y%m}"


def partitions(table: str) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """PostgreSQL: the month partitions of ``table`` (named ``<table>_YYYYMM``): (name, first, next), oldest
    first (from the catalogue)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s", [table])
        names = sorted(r[0] for r in cur.fetchall())
    out = []
    for name in names:
        suffix = name[len(table) + 1:]
        if len(suffix) == 6 and suffix.isdigit():
            first = dt.date(int(suffix[:4]), int(suffix[4:]), 1)
            out.append((name, dt.datetime.combine(first, dt.time(), dt.timezone.utc),
                        dt.datetime.combine(next_month(first), dt.time(), dt.timezone.utc)))
    return out


_KNOWN_PARTITIONS: set[str] = set()  # committed month partitions this process has seen (only grows: see below)


def months_spanned(times: Iterable[dt.datetime]) -> list[tuple[dt.date, dt.date]]:
    """Every month (first day, first day of the next) from the earliest to the latest of ``times`` (UTC): two
    comparisons per reading instead of a month computation per reading; a batch spanning months creates the
    ones between too (at most the accepted age, 400 days by default)."""
    times = list(times)
    if not times:
        return []
    (first, _), (last, _) = month_bounds(min(times)), month_bounds(max(times))
    out = []
    while first <= last:
        out.append((first, next_month(first)))
        first = next_month(first)
    return out


def ensure_partitions(times: Iterable[dt.datetime]) -> list[str]:
    """PostgreSQL: create the month partitions ``times`` fall in that do not exist yet (each in its own
    statement, outside the batch's transaction); rows already in the DEFAULT partition for such a month
    are moved into it. Returns the partitions created. SQLite: nothing to do.

    Partitions known to exist are remembered per process once the transaction that saw them commits
    (``on_commit``: a partition created in a transaction that rolls back is not remembered), so the
    catalogue is asked only when a batch reaches a month not seen before. Retention drops whole old
    partitions; a batch for a dropped month is older than the accepted age, or the retention job forgets
    the name (:func:`forget_partitions`)."""
    if connection.vendor != "postgresql":
        return []
    months = [m for m in months_spanned(times) if partition_name(m[0]) not in _KNOWN_PARTITIONS]
    if not months:
        return []
    existing = {name for name, _, _ in partitions(TABLE)}
    seen = {partition_name(first) for first, _ in months}
    transaction.on_commit(lambda: _KNOWN_PARTITIONS.update(seen))
    created = []
    for first, nxt in months:
        name = partition_name(first)
        if name not in existing and create_month_partition(TABLE, "phenomenon_time", first, nxt):
            created.append(name)
    return created


def create_month_partition(table: str, column: str, first: dt.date, nxt: dt.date) -> bool:
    """PostgreSQL: the partition ``<table>_YYYYMM`` of ``table`` (partitioned by ``column``) for
    [first, nxt), unless another process made it first (an advisory lock per name); the rows of that month
    that reached the DEFAULT partition move into it. Its own transaction (a savepoint inside one). True
    when this call created it."""
    name = partition_name(first, table)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])
        cur.execute("SELECT to_regclass(%s)", [name])
        if cur.fetchone()[0] is not None:
            return False
        lo, hi = f"{first.isoformat()} 00:00:00+00", f"{nxt.isoformat()} 00:00:00+00"
        cur.execute(f"CREATE TEMP TABLE _moving ON COMMIT DROP AS SELECT * FROM {table}_default "
                    f"WHERE {column} >= %s AND {column} < %s", [lo, hi])
        cur.execute(f"DELETE FROM {table}_default WHERE {column} >= %s AND {column} < %s", [lo, hi])
        cur.execute(f"CREATE TABLE {name} PARTITION OF {table} FOR VALUES FROM (%s) TO (%s)", [lo, hi])
        cur.execute(f"INSERT INTO {table} SELECT * FROM _moving")
        cur.execute("DROP TABLE _moving")
    return True


def forget_partitions(names: Iterable[str] | None = None) -> None:
    """Forget remembered partitions (all, or those named): call after dropping or detaching one."""
    if names is None:
        _KNOWN_PARTITIONS.clear()
    else:
        _KNOWN_PARTITIONS.difference_update(names)


def _write_rows(rows: list[tuple], batch_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            raw = cur.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(
                f"COPY {TABLE} (datastream_id, phenomenon_time, result_time, result, batch_id) FROM STDIN"
            ) as copy:
                for ds_id, t, rt, v in rows:
                    copy.write_row((ds_id, t, rt, v, batch_id))
    else:
        fmt = connection.ops.adapt_datetimefield_value
        with connection.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {TABLE} (datastream_id, phenomenon_time, result_time, result, batch_id) VALUES (%s, %s, %s, %s, %s)",
                [(ds_id, fmt(t), fmt(rt) if rt else None, v, batch_id) for ds_id, t, rt, v in rows],
            )


def _write_rows_returning(rows: list[tuple], batch_id: int) -> list[int]:
    """Insert and return the new ids in row order: PostgreSQL one ``INSERT … SELECT unnest(…) RETURNING``,
    SQLite one ``INSERT … RETURNING`` per row (in the batch's transaction)."""
    fmt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                f"INSERT INTO {TABLE} (datastream_id, phenomenon_time, result_time, result, batch_id) "
                "SELECT d, t, rt, v, %s FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[], %s::float8[]) "
                "WITH ORDINALITY AS u(d, t, rt, v, n) ORDER BY n RETURNING id",
                [batch_id, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]],
            )
            return [row[0] for row in cur.fetchall()]
        ids = []
        for ds_id, t, rt, v in rows:
            cur.execute(
                f"INSERT INTO {TABLE} (datastream_id, phenomenon_time, result_time, result, batch_id) "
                "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                [ds_id, fmt(t), fmt(rt) if rt else None, v, batch_id],
            )
            ids.append(cur.fetchone()[0])
        return ids


def _upsert_latest(latest: dict[int, tuple[dt.datetime, float]]) -> None:
    if connection.vendor == "postgresql":  # one statement over arrays
        pg_execute(
            "INSERT INTO lifeline_latestreading (datastream_id, time, value) "
            "SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::float8[]) "
            "ON CONFLICT (datastream_id) DO UPDATE SET time = excluded.time, value = excluded.value "
            "WHERE excluded.time >= lifeline_latestreading.time",
            [list(latest), [t for t, _ in latest.values()], [v for _, v in latest.values()]])
        return
    fmt = connection.ops.adapt_datetimefield_value
    sql = (
        "INSERT INTO lifeline_latestreading (datastream_id, time, value) VALUES (%s, %s, %s) "
        "ON CONFLICT (datastream_id) DO UPDATE SET time = excluded.time, value = excluded.value "
        "WHERE excluded.time >= lifeline_latestreading.time"
    )
    with connection.cursor() as cur:
        cur.executemany(sql, [(ds_id, fmt(t), v) for ds_id, (t, v) in latest.items()])


_gc_lock = threading.Lock()
_gc_holders = 0
_gc_restore = False


@contextlib.contextmanager
def gc_paused():
    """Python's cyclic garbage collector off while a batch runs (reference counting still frees what the
    batch drops). A batch of 10,000 readings allocates a few hundred thousand objects that live until it
    ends; with the collector on, they trigger full collections over every object of the process — measured
    at 30 % of the batch path's time with 10,000 devices. Nested and concurrent batches share one pause;
    the collector is back on (if it was on) when the last one ends, and collects then as usual."""
    global _gc_holders, _gc_restore
    with _gc_lock:
        if _gc_holders == 0:
            _gc_restore = gc.isenabled()
            gc.disable()
        _gc_holders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_restore:
                gc.enable()


def ingest(readings: Iterable[Reading], *, source: str, device: Device | None = None, user: Any = None,
           now: dt.datetime | None = None, max_age: dt.timedelta | None = None, note: str = "",
           return_ids: bool = False) -> IngestResult:
    """Store a batch of readings or raise :class:`IngestError` (nothing stored). ``device``: the sender
    authenticated with a device key (its readings must be its own datastreams)."""
    with gc_paused():
        return _ingest(readings, source=source, device=device, user=user, now=now, max_age=max_age, note=note,
                       return_ids=return_ids)


def _ingest(readings: Iterable[Reading], *, source: str, device: Device | None, user: Any, now: dt.datetime | None,
            max_age: dt.timedelta | None, note: str, return_ids: bool) -> IngestResult:
    from . import alarms

    readings = list(readings)
    now = now or timezone.now()
    if not readings:
        raise IngestError([Problem(0, "读数", "没有任何读数")])
    problems, streams = _check(readings, device=device, now=now, max_age=max_age or MAX_AGE)
    if problems:
        raise IngestError(problems)
    rows = [(r.datastream_id, r.phenomenon_time, r.result_time, float(r.result)) for r in readings]
    ensure_partitions(r[1] for r in rows)
    latest: dict[int, tuple[dt.datetime, float]] = {}
    per_stream: dict[int, list[tuple[dt.datetime, float]]] = defaultdict(list)
    for ds_id, t, _rt, v in rows:
        per_stream[ds_id].append((t, v))
        if ds_id not in latest or t >= latest[ds_id][0]:
            latest[ds_id] = (t, v)
    with transaction.atomic():
        batch = IngestBatch.objects.create(source=source, device=device, user=user if getattr(user, "is_authenticated", False) else None,
                                           count=len(rows), note=note[:300])
        ids = _write_rows_returning(rows, batch.id) if return_ids else _write_rows(rows, batch.id) or []
        events = alarms.process(per_stream, streams, now=now)  # reads the latest readings before the batch
        _upsert_latest(latest)
    return IngestResult(batch.id, len(rows), len(per_stream), events, ids)


def latest_values(datastream_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """The latest reading of every datastream (or of those given): one row each, from the datastream table."""
    from .models import LatestReading

    qs = LatestReading.objects.all()
    if datastream_ids is not None:
        qs = qs.filter(datastream_id__in=list(datastream_ids))
    return [{"datastream": i, "time": t, "value": v} for i, t, v in qs.values_list("datastream_id", "time", "value")]


def series(datastream_id: int, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, float]]:
    """The readings of one datastream in [start, end), in time order (an index range scan)."""
    from .models import Observation

    return list(
        Observation.objects.filter(datastream_id=datastream_id, phenomenon_time__gte=start, phenomenon_time__lt=end)
        .order_by("phenomenon_time").values_list("phenomenon_time", "result")
    )

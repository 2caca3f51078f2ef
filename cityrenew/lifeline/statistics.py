"""Statistics of lifeline monitoring by sector (行业) and by district (区) for a period (生命线监测统计).

One entry point, :func:`compute`, used by the page ``/lifeline/statistics/`` (and its xlsx), the API
``/api/lifeline/statistics/`` and ``cityrenew lifeline stats``. Every figure is an aggregate query
(``COUNT … FILTER``, ``AVG``, and the median through ``ROW_NUMBER() OVER``) grouped by the sector or the
district; no Python loop runs over alarms.

What each figure counts (口径, :data:`DEFINITIONS` — shown on the page and in the export):

* the period is whole days in Beijing time: from 00:00 of ``start`` (included) to 00:00 of the day after
  ``end`` (excluded), so an alarm raised at exactly 00:00 of ``start`` counts, one at 00:00 after ``end``
  does not;
* devices and monitored assets are the registry as it is now (their sector and district); a device is
  **online** when each of its datastreams that has ever reported has reported within the last hour
  (:data:`ONLINE_WINDOW`) — the complement of the dashboard's “1 小时无数据的设备”;
* alarms are those whose start (``since``) falls in the period, grouped by their device's sector and
  district, in the state they are in now: raised by level rank (1 = 一级/红色 … 4 = 四级/蓝色), not yet
  closed, acknowledged, escalated at least once, closed through disposal (关闭);
* time to acknowledge = ``acknowledged_at − since``; time to close = the 关闭 step's time − ``since``;
  mean and median over the alarms that have one (the median of an even count is the mean of the two
  middle values), in seconds.

A user sees the districts its roles cover (:func:`scope_for`; 市级管理员, 区级编辑, 只读用户 and department users): a
区级编辑 its district, a city or province role everything under it; devices, assets and alarms with no district are counted only for
users with a role on a city or a province (and superusers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Avg, Count, DateTimeField, F, FloatField, Func, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone

from cityrenew.core.choices import RegionLevel, Role
from cityrenew.core.models import Region
from cityrenew.core.permissions import region_ids_for, roles_of

from .choices import AlarmStatus, DeviceStatus, DisposalStep, Sector
from .models import Alarm, AlarmStep, Device, LatestReading, MonitoredAsset

ONLINE_WINDOW = dt.timedelta(hours=1)  # the dashboard's “1 小时无数据” limit
DEFAULT_DAYS = 30  # the default period: the last 30 days, today included
MAX_DAYS = 3660  # a period spans at most ten years
LEVELS = {1: "一级/红色", 2: "二级/橙色", 3: "三级/黄色", 4: "四级/蓝色"}  # level_rank → column; other ranks: 其他等级
UNLOCATED = "未定位"

DEFINITIONS = [
    ("统计期", "按北京时间整日计：自起始日 0 时（含）至截止日次日 0 时（不含）；报警按“报警开始”时间归入统计期"),
    ("设备、监测对象", "当前登记数（按其行业、所在区），不随统计期变化"),
    ("在线设备", "每个已有读数的数据流在最近 1 小时内都有读数的设备（与首页“1 小时无数据的设备”互补）"),
    ("报警数（分等级）", "统计期内开始的报警，按等级序号：1 一级/红色、2 二级/橙色、3 三级/黄色、4 四级/蓝色"),
    ("未关闭、已确认、已升级、已关闭", "上述报警现在的状态：未关闭 = 报警中或已恢复待关闭；已升级 = 至少升级过一次；已关闭 = 处置流程已关闭"),
    ("确认用时、关闭用时", "确认时间或“关闭”处置步骤时间减报警开始时间；平均数与中位数（偶数条取中间两条的平均），只计已确认或已关闭的报警"),
    ("权限范围", "区级用户只统计本区；市级、省级用户统计所辖各区；未定位（无所在区）的设备与报警只计入市级及以上用户的统计"),
]


class StatisticsError(ValueError):
    """A refused period (the message is Chinese)."""


@dataclass(frozen=True)
class Period:  # 统计期
    start: dt.date
    end: dt.date  # included

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(0), ZoneInfo(settings.TIME_ZONE))

    @property
    def until(self) -> dt.datetime:  # excluded: 00:00 of the day after ``end``
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(0), ZoneInfo(settings.TIME_ZONE))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def parse_date(value: Any, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise StatisticsError(f"「{label}」应为日期（如 2026-11-01），实际为“{value}”") from None


def period(start: Any = None, end: Any = None, *, today: dt.date | None = None) -> Period:
    """The period from two ``YYYY-MM-DD`` texts (empty: the last :data:`DEFAULT_DAYS` days to today)."""
    today = today or timezone.localdate()
    e = parse_date(end, "截止日期") if end not in (None, "") else today
    s = parse_date(start, "起始日期") if start not in (None, "") else e - dt.timedelta(days=DEFAULT_DAYS - 1)
    if s > e:
        raise StatisticsError(f"「起始日期」{s} 晚于「截止日期」{e}")
    if (e - s).days + 1 > MAX_DAYS:
        raise StatisticsError(f"统计期最长 {MAX_DAYS} 天（实际 {(e - s).days + 1} 天）")
    return Period(s, e)


@dataclass(frozen=True)
class Scope:  # 统计范围
    district_ids: set[int] | None  # None: every district
    unlocated: bool  # count records with no district

    @property
    def empty(self) -> bool:
        return self.district_ids is not None and not self.district_ids and not self.unlocated

    def q(self, field: str) -> Q:
        """A filter on ``field`` (a district foreign key) for this scope."""
        if self.district_ids is None:
            return Q() if self.unlocated else Q(**{f"{field}__isnull": False})
        q = Q(**{f"{field}__in": self.district_ids})
        return q | Q(**{f"{field}__isnull": True}) if self.unlocated else q


ALL = Scope(None, True)


# the roles whose users the lifeline pages are for (the navigation's 城市生命线 audiences)
READ_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_EDITOR, Role.VIEWER, Role.DEPT_EDITOR, Role.DEPT_REVIEWER)


def scope_for(user: Any) -> Scope:
    """The districts ``user`` reads: under the regions of its :data:`READ_ROLES` roles."""
    ids = region_ids_for(user, READ_ROLES)
    if ids is None:
        return ALL
    wide = any(ra.role in READ_ROLES and ra.region.level in (RegionLevel.CITY, RegionLevel.PROVINCE) for ra in roles_of(user))
    return Scope(ids, wide)


class Seconds(Func):
    """``end − start`` in seconds (float) on PostgreSQL and SQLite."""

    output_field = FloatField()
    arity = 2
    template = "EXTRACT(EPOCH FROM (%(expressions)s))::float8"  # PostgreSQL: the interval's seconds
    arg_joiner = " - "

    def as_sqlite(self, compiler, connection, **extra):  # julianday: days as a real number
        return super().as_sql(compiler, connection, template="((julianday(%(expressions)s)) * 86400.0)",
                              arg_joiner=") - julianday(", **extra)


def _closed_at() -> Subquery:
    return Subquery(AlarmStep.objects.filter(alarm=OuterRef("pk"), step=DisposalStep.CLOSE).order_by("at").values("at")[:1],
                    output_field=DateTimeField())


def _median(qs: QuerySet, group: str | None, value: Any) -> dict[Any, float]:
    """The median of ``value`` per ``group`` over ``qs`` (rows where it is null left out): the inner query is
    the ORM's (columns named ``g`` and ``v``), the median the window ``ROW_NUMBER`` of each group's sorted
    values — the mean of the middle one or two — on both databases."""
    inner = qs.annotate(_v=value).filter(_v__isnull=False).order_by().values(g=F(group) if group else Value(0), v=F("_v"))
    sql, params = inner.query.sql_with_params()
    query = ("SELECT g, AVG(v) FROM (SELECT t.g AS g, t.v AS v, ROW_NUMBER() OVER (PARTITION BY t.g ORDER BY t.v) AS rn, "
             f"COUNT(*) OVER (PARTITION BY t.g) AS n FROM ({sql}) AS t) AS w "
             "WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY g")
    with connection.cursor() as cur:
        cur.execute(query, params)
        rows = cur.fetchall()
    return {(r[0] if group else None): float(r[1]) for r in rows}


# --- the figures ------------------------------------------------------------------------------------

DIMENSIONS = {  # dimension → (device/asset field, alarm field)
    "sector": ("sector", "device__sector"),
    "district": ("district", "device__district"),
}
STATUSES = [s.value for s in DeviceStatus]
ZERO = {"devices": 0, **{f"status_{s}": 0 for s in STATUSES}, "online": 0, "assets": 0, "alarms": 0,
        **{f"level_{r}": 0 for r in LEVELS}, "level_other": 0, "open": 0, "acknowledged": 0, "escalated": 0,
        "closed": 0, "ack_mean_s": None, "ack_median_s": None, "close_mean_s": None, "close_median_s": None}

# (key, column heading) of a row, in table order; the times in the table and the workbook are minutes
COLUMNS = [
    ("devices", "设备"), *((f"status_{s.value}", f"设备·{s.label}") for s in DeviceStatus), ("online", "在线设备"),
    ("assets", "监测对象"), ("alarms", "报警"), *((f"level_{r}", label) for r, label in LEVELS.items()),
    ("level_other", "其他等级"), ("open", "未关闭"), ("acknowledged", "已确认"), ("escalated", "已升级"),
    ("closed", "已关闭"), ("ack_mean_s", "平均确认用时（分钟）"), ("ack_median_s", "确认用时中位数（分钟）"),
    ("close_mean_s", "平均关闭用时（分钟）"), ("close_median_s", "关闭用时中位数（分钟）"),
]
TIME_KEYS = ("ack_mean_s", "ack_median_s", "close_mean_s", "close_median_s")


def _device_aggregates(cutoff: dt.datetime) -> dict[str, Any]:
    return {"devices": Count("id"), **{f"status_{s}": Count("id", filter=Q(status=s)) for s in STATUSES},
            "online": Count("id", filter=Q(_oldest__gte=cutoff))}


def _alarm_aggregates() -> dict[str, Any]:
    return {
        "alarms": Count("id"), **{f"level_{r}": Count("id", filter=Q(level_rank=r)) for r in LEVELS},
        "level_other": Count("id", filter=~Q(level_rank__in=list(LEVELS))),
        "open": Count("id", filter=~Q(status=AlarmStatus.CLOSED)),
        "acknowledged": Count("id", filter=Q(acknowledged_by__isnull=False)),
        "escalated": Count("id", filter=Q(escalations__gt=0)),
        "closed": Count("id", filter=Q(status=AlarmStatus.CLOSED)),
        "ack_mean_s": Avg(Seconds(F("acknowledged_at"), F("since"))),
        "close_mean_s": Avg(Seconds(_closed_at(), F("since"))),
    }


def _grouped(qs: QuerySet, group: str | None, aggregates: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    """``{group value: {figure: value}}`` in one grouped query (``group`` None: one total under None)."""
    if group is None:
        return {None: qs.aggregate(**aggregates)}
    return {row.pop("grp"): row for row in qs.values(grp=F(group)).annotate(**aggregates).order_by()}


def _figures(devices: QuerySet, assets: QuerySet, alarms: QuerySet, dimension: str | None,
             cutoff: dt.datetime) -> dict[Any, dict[str, Any]]:
    field, alarm_field = DIMENSIONS[dimension] if dimension else (None, None)
    found: dict[Any, dict[str, Any]] = {}

    def merge(part: dict[Any, dict[str, Any]]) -> None:
        for key, values in part.items():
            found.setdefault(key, dict(ZERO)).update(values)

    merge(_grouped(devices, field, _device_aggregates(cutoff)))
    merge(_grouped(assets, field, {"assets": Count("id")}))
    merge(_grouped(alarms, alarm_field, _alarm_aggregates()))
    for name, value in (("ack_median_s", Seconds(F("acknowledged_at"), F("since"))),
                        ("close_median_s", Seconds(_closed_at(), F("since")))):
        for key, median in _median(alarms, alarm_field, value).items():
            found.setdefault(key, dict(ZERO))[name] = median
    for row in found.values():
        for k in TIME_KEYS:
            if row[k] is not None:
                row[k] = round(float(row[k]), 1)
    return found


def _labelled(dimension: str, found: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with a key and a label, in the order of the sectors / of the district codes; 未定位 last."""
    rows = []
    if dimension == "sector":
        for s in Sector:
            if s.value in found:
                rows.append({"key": s.value, "label": s.label, **found[s.value]})
        return rows
    for region in Region.objects.filter(pk__in=[k for k in found if k is not None]).order_by("code"):
        rows.append({"key": region.code, "label": region.display_name, **found[region.pk]})
    if None in found:
        rows.append({"key": "", "label": UNLOCATED, **found[None]})
    return rows


def compute(per: Period, scope: Scope = ALL, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The statistics of ``per`` within ``scope``: ``by_sector`` and ``by_district`` rows and the ``total``."""
    now = now or timezone.now()
    cutoff = now - ONLINE_WINDOW
    oldest = LatestReading.objects.filter(datastream__device=OuterRef("pk")).order_by("time").values("time")[:1]
    devices = Device.objects.filter(scope.q("district")).annotate(_oldest=Subquery(oldest, output_field=DateTimeField()))
    assets = MonitoredAsset.objects.filter(scope.q("district"))
    alarms = Alarm.objects.filter(scope.q("device__district"), since__gte=per.since, since__lt=per.until)
    total = _figures(devices, assets, alarms, None, cutoff).get(None) or dict(ZERO)
    return {
        "period": {"start": per.start.isoformat(), "end": per.end.isoformat(), "since": per.since.isoformat(),
                   "until": per.until.isoformat(), "days": per.days},
        "online_window_min": int(ONLINE_WINDOW.total_seconds() // 60),
        "by_sector": _labelled("sector", _figures(devices, assets, alarms, "sector", cutoff)),
        "by_district": _labelled("district", _figures(devices, assets, alarms, "district", cutoff)),
        "total": {"key": "", "label": "合计", **total},
        "definitions": [{"term": t, "meaning": m} for t, m in DEFINITIONS],
    }


def cell(row: dict[str, Any], key: str) -> Any:
    """A row's figure as the table and the workbook show it (times in minutes, one decimal)."""
    value = row.get(key)
    if key in TIME_KEYS:
        return None if value is None else round(value / 60, 1)
    return value

"""Lifeline statistics by sector and district (生命线监测统计): each figure against an ORM count of the rows it
comes from, the period's boundaries (start day's 00:00 Beijing time included, the day after the end's 00:00
excluded), the permission scope (district, city, province), the page, its xlsx, the API and the command."""

import datetime as dt
import io
import json
import statistics as pystats
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from cityrenew.core.models import Region
from cityrenew.lifeline import statistics as st
from cityrenew.lifeline.choices import AlarmStatus, DeviceStatus, DisposalStep, Sector
from cityrenew.lifeline.models import (Alarm, AlarmRule, AlarmStep, Datastream, Device, LatestReading, MonitoredAsset,
                                       ObservedProperty, Sensor)

pytestmark = pytest.mark.django_db
BJ = ZoneInfo("Asia/Shanghai")
START, END = dt.date(2026, 11, 1), dt.date(2026, 11, 10)
T0 = dt.datetime(2026, 11, 1, 0, 0, tzinfo=BJ)  # the period's first instant
T_END = dt.datetime(2026, 11, 11, 0, 0, tzinfo=BJ)  # the first instant after it
NOW = dt.datetime(2026, 11, 12, 9, 0, tzinfo=BJ)


@pytest.fixture
def city(regions, city_admin):
    """Five devices in 中原区, 二七区, 武汉市江岸区 (another province) and with no district, three assets, and
    alarms inside, on and outside the period's edges, acknowledged, escalated, closed."""
    hubei = Region.objects.create(code="420000", name="湖北省", level="province", kind="province")
    wuhan = Region.objects.create(code="420100", name="武汉市", level="city", kind="prefecture_city", parent=hubei)
    jiangan = Region.objects.create(code="420102", name="江岸区", level="district", kind="urban_district", parent=wuhan)
    zy, eq = Region.objects.get(code="410102"), Region.objects.get(code="410103")
    prop = ObservedProperty.objects.create(name="压力")
    sensor = Sensor.objects.create(name="压力变送器")
    rules = [AlarmRule.objects.create(code=f"R{i}", name=f"规则{i}", observed_property=prop, unit_symbol="MPa",
                                      definition={"levels": [{"name": "一级", "conditions": [
                                          {"kind": "threshold", "word": "超过", "value": 1}]}]}) for i in range(6)]
    streams = {}
    for code, sector, district, status, latest in (
        ("G-1", Sector.GAS, zy, DeviceStatus.NORMAL, [NOW - dt.timedelta(minutes=10), NOW - dt.timedelta(minutes=59)]),
        ("G-2", Sector.GAS, eq, DeviceStatus.MAINTENANCE, [NOW - dt.timedelta(minutes=5), NOW - dt.timedelta(minutes=61)]),
        ("W-1", Sector.WATER, zy, DeviceStatus.FAULT, []),
        ("W-2", Sector.WATER, None, DeviceStatus.NORMAL, [NOW - dt.timedelta(minutes=60)]),
        ("B-1", Sector.BRIDGE, jiangan, DeviceStatus.NORMAL, [NOW]),
    ):
        device = Device.objects.create(code=code, name=code, sector=sector, district=district, status=status)
        for i in range(max(len(latest), 1)):
            ds = Datastream.objects.create(name=f"压力{i}", device=device, sensor=sensor, observed_property=prop,
                                           unit_name="兆帕", unit_symbol="MPa")
            streams.setdefault(code, ds)
            if i < len(latest):
                LatestReading.objects.create(datastream=ds, time=latest[i], value=0.3)
    for code, sector, district in (("A-1", Sector.GAS, zy), ("A-2", Sector.WATER, eq), ("A-3", Sector.BRIDGE, None)):
        MonitoredAsset.objects.create(code=code, name=code, kind="other", sector=sector, district=district)

    def alarm(code, rule, since, rank, status=AlarmStatus.CLEARED, ack_min=None, esc=0, close_min=None):
        a = Alarm.objects.create(rule=rules[rule], datastream=streams[code], device=streams[code].device,
                                 level=f"{rank}级", level_rank=rank, value=1.5, since=since, last_at=since, status=status,
                                 acknowledged_by=city_admin if ack_min is not None else None,
                                 acknowledged_at=since + dt.timedelta(minutes=ack_min) if ack_min is not None else None,
                                 escalations=esc)
        if close_min is not None:
            step = AlarmStep.objects.create(alarm=a, step=DisposalStep.CLOSE, user=city_admin)
            AlarmStep.objects.filter(pk=step.pk).update(at=since + dt.timedelta(minutes=close_min))
            Alarm.objects.filter(pk=a.pk).update(status=AlarmStatus.CLOSED)
        return a

    alarm("G-1", 0, T0, 1, ack_min=4, close_min=60)  # exactly at the start: included
    alarm("G-1", 1, T0 + dt.timedelta(days=2), 2, ack_min=10, esc=1, close_min=120)
    alarm("G-1", 2, T0 + dt.timedelta(days=3), 2, status=AlarmStatus.ACTIVE, ack_min=7)
    alarm("G-1", 3, T_END - dt.timedelta(microseconds=1), 5, status=AlarmStatus.ACTIVE, esc=2)  # last instant: included
    alarm("G-2", 0, T_END, 1, ack_min=1)  # the next midnight: excluded
    alarm("G-2", 1, T0 - dt.timedelta(microseconds=1), 3)  # just before: excluded
    alarm("G-2", 2, T0 + dt.timedelta(days=5), 3, ack_min=30, close_min=300)
    alarm("W-2", 0, T0 + dt.timedelta(hours=5), 4, ack_min=2)
    alarm("B-1", 0, T0 + dt.timedelta(hours=1), 1, ack_min=3)
    return {"zy": zy, "eq": eq, "jiangan": jiangan, "rules": rules}


def in_period(qs):
    return qs.filter(since__gte=T0, since__lt=T_END)


def durations(qs, end_field):
    """Seconds from ``since`` to ``end_field`` (or to the 关闭 step), read row by row here — the reference."""
    out = []
    for a in qs:
        if end_field == "ack":
            end = a.acknowledged_at
        else:
            step = a.steps.filter(step=DisposalStep.CLOSE).first()
            end = step.at if step else None
        if end is not None:
            out.append((end - a.since).total_seconds())
    return out


def expected(devices, assets, alarms):
    cutoff = NOW - st.ONLINE_WINDOW
    online = sum(1 for d in devices
                 if LatestReading.objects.filter(datastream__device=d).exists()
                 and not LatestReading.objects.filter(datastream__device=d, time__lt=cutoff).exists())
    ack, close = durations(alarms, "ack"), durations(alarms, "close")
    return {
        "devices": devices.count(), **{f"status_{s}": devices.filter(status=s).count() for s in DeviceStatus.values},
        "online": online, "assets": assets.count(), "alarms": alarms.count(),
        **{f"level_{r}": alarms.filter(level_rank=r).count() for r in (1, 2, 3, 4)},
        "level_other": alarms.exclude(level_rank__in=[1, 2, 3, 4]).count(),
        "open": alarms.exclude(status=AlarmStatus.CLOSED).count(),
        "acknowledged": alarms.filter(acknowledged_by__isnull=False).count(),
        "escalated": alarms.filter(escalations__gt=0).count(), "closed": alarms.filter(status=AlarmStatus.CLOSED).count(),
        "ack_mean_s": round(pystats.mean(ack), 1) if ack else None, "ack_median_s": round(pystats.median(ack), 1) if ack else None,
        "close_mean_s": round(pystats.mean(close), 1) if close else None,
        "close_median_s": round(pystats.median(close), 1) if close else None,
    }


def figures(row):
    return {k: row[k] for k in st.ZERO}


def test_every_figure_equals_the_orm_count_of_its_rows(city):
    data = st.compute(st.period(START, END), now=NOW)
    alarms = in_period(Alarm.objects.all())
    for row in data["by_sector"]:
        assert figures(row) == expected(Device.objects.filter(sector=row["key"]), MonitoredAsset.objects.filter(sector=row["key"]),
                                        alarms.filter(device__sector=row["key"])), row["label"]
    assert [r["label"] for r in data["by_sector"]] == ["燃气", "供水", "桥梁"]
    for row in data["by_district"]:
        district = Region.objects.get(code=row["key"]) if row["key"] else None
        assert figures(row) == expected(Device.objects.filter(district=district), MonitoredAsset.objects.filter(district=district),
                                        alarms.filter(device__district=district)), row["label"]
    assert [r["label"] for r in data["by_district"]] == ["中原区", "二七区", "江岸区", "未定位"]
    assert figures(data["total"]) == expected(Device.objects.all(), MonitoredAsset.objects.all(), alarms)
    gas = data["by_sector"][0]  # the values themselves, as a reader checks them
    assert (gas["devices"], gas["online"], gas["alarms"], gas["level_1"], gas["level_2"], gas["level_3"], gas["level_other"]) == (
        2, 1, 5, 1, 2, 1, 1)  # G-2: one stream 61 min old → not online; W-2 at exactly 60 min → online
    assert (gas["open"], gas["acknowledged"], gas["escalated"], gas["closed"]) == (2, 4, 2, 3)
    assert (gas["ack_median_s"], gas["ack_mean_s"]) == (8.5 * 60, 12.75 * 60)  # 4, 7, 10, 30 min
    assert (gas["close_median_s"], gas["close_mean_s"]) == (120 * 60, 160 * 60)  # 60, 120, 300 min
    assert data["period"] == {"start": "2026-11-01", "end": "2026-11-10", "since": "2026-11-01T00:00:00+08:00",
                              "until": "2026-11-11T00:00:00+08:00", "days": 10}


def test_period_edges_and_bad_periods(city):
    g1 = Device.objects.get(code="G-1")
    one_day = st.compute(st.period(START, START), now=NOW)["total"]
    assert one_day["alarms"] == in_period(Alarm.objects.all()).filter(since__lt=T0 + dt.timedelta(days=1)).count() == 3
    last_day = st.compute(st.period(END, END), now=NOW)["total"]
    assert last_day["alarms"] == 1 and last_day["level_other"] == 1  # 23:59:59.999999 of the end day
    assert st.compute(st.period(dt.date(2026, 11, 11), dt.date(2026, 11, 11)), now=NOW)["total"]["alarms"] == 1  # G-2's
    assert Alarm.objects.filter(device=g1).count() == 4
    default = st.period(today=dt.date(2026, 11, 30))
    assert (default.start, default.end, default.days) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30), 30)
    with pytest.raises(st.StatisticsError, match="「起始日期」2026-11-10 晚于「截止日期」2026-11-01"):
        st.period("2026-11-10", "2026-11-01")
    with pytest.raises(st.StatisticsError, match="「截止日期」应为日期（如 2026-11-01），实际为“昨天”"):
        st.period("2026-11-01", "昨天")


def test_scope_district_city_province(city, zhongyuan_editor, city_admin, make_user):
    per = st.period(START, END)
    zy = st.compute(per, st.scope_for(zhongyuan_editor), now=NOW)
    assert [r["label"] for r in zy["by_district"]] == ["中原区"]
    assert figures(zy["total"]) == expected(Device.objects.filter(district=city["zy"]), MonitoredAsset.objects.filter(district=city["zy"]),
                                            in_period(Alarm.objects.filter(device__district=city["zy"])))
    zz = st.compute(per, st.scope_for(city_admin), now=NOW)
    assert [r["label"] for r in zz["by_district"]] == ["中原区", "二七区", "未定位"]  # not 武汉's 江岸区
    henan = make_user("henan", "viewer", "410000")
    assert [r["label"] for r in st.compute(per, st.scope_for(henan), now=NOW)["by_district"]] == ["中原区", "二七区", "未定位"]
    hubei = make_user("hubei", "viewer", "420000")
    data = st.compute(per, st.scope_for(hubei), now=NOW)
    assert [r["label"] for r in data["by_district"]] == ["江岸区", "未定位"] and data["total"]["devices"] == 2
    assert st.scope_for(make_user("nobody", None, None)).empty
    assert st.scope_for(make_user("entity", "entity_editor", "410102")).empty  # 实施主体: not a lifeline reader
    dept = st.scope_for(make_user("duty", "dept_editor", "410100"))  # a city department (值班、处置单位)
    assert dept.unlocated and city["zy"].pk in dept.district_ids and city["jiangan"].pk not in dept.district_ids


def test_page_export_api_and_command(client, city, zhongyuan_editor, city_admin, make_user):
    url = reverse("lifeline:statistics")
    client.force_login(zhongyuan_editor)
    page = client.get(url, {"start": "2026-11-01", "end": "2026-11-10"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "中原区" in html and "二七区" not in html and "统计口径" in html and 'id="lifeline-stats-data"' in html
    assert page.context["data"]["total"]["alarms"] == in_period(Alarm.objects.filter(device__district=city["zy"])).count()
    bad = client.get(url, {"start": "2026-11-10", "end": "2026-11-01"})
    assert bad.status_code == 400 and "晚于" in bad.content.decode()
    client.force_login(make_user("nobody", None, None))
    assert client.get(url).status_code == 403

    # the export: the figures, and a district name that a spreadsheet would read as a formula stays text
    Region.objects.filter(pk=city["eq"].pk).update(short_name="=HYPERLINK(\"http://x\",\"二七\")")
    client.force_login(city_admin)
    r = client.get(url, {"start": "2026-11-01", "end": "2026-11-10", "export": "xlsx"})
    assert r["Content-Type"].startswith("application/vnd.openxmlformats") and "attachment" in r["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["按行业", "按区", "统计口径"]
    ws = wb["按区"]
    head = [c.value for c in ws[1]]
    rows = {ws.cell(row=i, column=1).value: [c.value for c in ws[i]] for i in range(2, ws.max_row + 1)}
    cell = rows['=HYPERLINK("http://x","二七")']
    assert ws.cell(row=3, column=1).data_type == "s" and ws.cell(row=3, column=1).quotePrefix
    eq_alarms = in_period(Alarm.objects.filter(device__district=city["eq"]))
    assert cell[head.index("报警")] == eq_alarms.count() == 1 and cell[head.index("设备")] == 1
    assert cell[head.index("平均关闭用时（分钟）")] == 300.0
    assert rows["合计"][head.index("报警")] == in_period(Alarm.objects.filter(device__district__code__startswith="41")).count() + 1  # + 未定位

    api = client.get("/api/lifeline/statistics/", {"start": "2026-11-01", "end": "2026-11-10"})
    assert api.status_code == 200 and api.json()["total"]["alarms"] == rows["合计"][head.index("报警")]
    assert client.get("/api/lifeline/statistics/", {"start": "x"}).json()["detail"] == "「起始日期」应为日期（如 2026-11-01），实际为“x”"

    buf = io.StringIO()
    call_command("lifeline", "stats", "--start", "2026-11-01", "--end", "2026-11-10", "--format", "json", stdout=buf)
    data = json.loads(buf.getvalue())
    assert data["total"]["alarms"] == in_period(Alarm.objects.all()).count() == 7  # the whole platform: 武汉 too
    buf = io.StringIO()
    call_command("lifeline", "stats", "--start", "2026-11-01", "--end", "2026-11-10", stdout=buf)
    assert "燃气" in buf.getvalue() and "合计" in buf.getvalue()

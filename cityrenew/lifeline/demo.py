"""Demo: a monitored city — gas, water, drainage, bridges, utility tunnel and manhole covers in Zhengzhou's
districts; devices with datastreams, alarm rules (levels, durations, rate of change, no data), 24 hours of
simulated history with a few episodes, so the dashboard opens on live readings and a few alarms (one
acknowledged and being disposed). Every figure is simulated (演示数据); ``cityrenew serve`` in the demo keeps
the readings coming (``cityrenew lifeline simulate``)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.utils import timezone

from cityrenew.core.models import Region

from . import alarms
from .choices import AlarmStatus, AssetKind, Sector
from .models import Alarm, AlarmRule, Datastream, Device, MonitoredAsset, ObservedProperty, Sensor
from .simulate import history
from .storage import ingest

# observed property, unit name, unit symbol, sensor, simulation
KINDS = {
    "gas_pressure": ("燃气管网压力", "兆帕", "MPa", "压力变送器", {"base": 0.30, "amp": 0.02, "noise": 0.004, "excursion": 0.16}),
    "methane": ("甲烷浓度", "爆炸下限百分比", "%LEL", "激光甲烷传感器", {"base": 0.5, "amp": 0.3, "noise": 0.2, "excursion": 14, "min": 0}),
    "water_pressure": ("供水管网压力", "兆帕", "MPa", "压力变送器", {"base": 0.32, "amp": 0.05, "noise": 0.006, "excursion": -0.22}),
    "water_level": ("雨水井液位", "米", "m", "雷达液位计", {"base": 0.4, "amp": 0.1, "noise": 0.03, "excursion": 1.4, "min": 0}),
    "deflection": ("桥梁跨中挠度", "毫米", "mm", "激光位移计", {"base": 4.0, "amp": 1.5, "noise": 0.3, "excursion": 9}),
    "tilt": ("井盖倾角", "度", "°", "倾角传感器", {"base": 0.3, "amp": 0.1, "noise": 0.05, "excursion": 12, "min": 0}),
    "o2": ("管廊氧气浓度", "体积百分比", "%VOL", "电化学氧气传感器", {"base": 20.8, "amp": 0.1, "noise": 0.05, "excursion": -2.5}),
}
RULES = [
    ("GAS-P", "中压燃气管网压力异常", "gas_pressure", Sector.GAS, 15, "《城镇燃气设计规范》GB 50028 压力级制；企业调度规程（演示阈值）",
     [("一级", 1, [("threshold", "超过", 0.44, 0)]), ("二级", 2, [("threshold", "超过", 0.40, 10)])]),
    ("GAS-CH4", "阀门井甲烷浓度", "methane", Sector.GAS, 10, "GB/T 50811 燃气系统运行安全评价（演示阈值）",
     [("一级", 1, [("threshold", "以上", 25, 0)]), ("二级", 2, [("threshold", "以上", 10, 0)]),
      ("三级", 3, [("threshold", "以上", 5, 0)])]),
    ("WAT-P", "供水管网压力过低", "water_pressure", Sector.WATER, 30, "《城镇供水服务》GB/T 32063 服务压力（演示阈值）",
     [("二级", 2, [("threshold", "低于", 0.14, 5)])]),
    ("DRN-L", "雨水井液位上涨", "water_level", Sector.DRAINAGE, 20, "城市排水防涝应急预案（演示阈值）",
     [("橙色", 2, [("threshold", "以上", 1.5, 0)]), ("黄色", 3, [("rate", "超过", 0.05, 0)])]),
    ("BRG-D", "桥梁跨中挠度超限", "deflection", Sector.BRIDGE, 30, "桥梁结构监测预警值（演示阈值）",
     [("黄色", 3, [("threshold", "超过", 10, 5)])]),
    ("MH-T", "井盖倾斜或位移", "tilt", Sector.MANHOLE, 15, "窨井盖监测预警（演示阈值）",
     [("二级", 2, [("threshold", "以上", 5, 0)])]),
    ("UT-O2", "管廊氧气浓度过低", "o2", Sector.UTILITY_TUNNEL, 10, "GB 50838 城市综合管廊工程技术规范 通风（演示阈值）",
     [("一级", 1, [("threshold", "低于", 19.5, 0)])]),
    ("ALL-ND", "设备无数据", None, "", None, "设备运维规程（演示阈值）",
     [("四级", 4, [("nodata", "超过", 30, 0)])]),
]
# code prefix, name, sector, asset kind, kind of stream, district code, lon, lat
DEVICES = [
    ("GAS", "调压箱出口压力计", Sector.GAS, AssetKind.STATION, "gas_pressure", "410102", 113.625, 34.748),
    ("GAS", "调压箱出口压力计", Sector.GAS, AssetKind.STATION, "gas_pressure", "410105", 113.686, 34.776),
    ("GAS", "阀门井甲烷监测仪", Sector.GAS, AssetKind.VALVE_WELL, "methane", "410103", 113.640, 34.722),
    ("GAS", "阀门井甲烷监测仪", Sector.GAS, AssetKind.VALVE_WELL, "methane", "410104", 113.690, 34.745),
    ("GAS", "阀门井甲烷监测仪", Sector.GAS, AssetKind.VALVE_WELL, "methane", "410105", 113.670, 34.790),
    ("WAT", "供水管网压力计", Sector.WATER, AssetKind.PIPE_SEGMENT, "water_pressure", "410102", 113.600, 34.760),
    ("WAT", "供水管网压力计", Sector.WATER, AssetKind.PIPE_SEGMENT, "water_pressure", "410108", 113.640, 34.830),
    ("DRN", "雨水井液位计", Sector.DRAINAGE, AssetKind.MANHOLE, "water_level", "410105", 113.660, 34.770),
    ("DRN", "雨水井液位计", Sector.DRAINAGE, AssetKind.MANHOLE, "water_level", "410103", 113.630, 34.735),
    ("BRG", "桥梁结构监测站", Sector.BRIDGE, AssetKind.BRIDGE, "deflection", "410105", 113.680, 34.770),
    ("MH", "智能井盖", Sector.MANHOLE, AssetKind.MANHOLE, "tilt", "410104", 113.700, 34.755),
    ("MH", "智能井盖", Sector.MANHOLE, AssetKind.MANHOLE, "tilt", "410102", 113.615, 34.752),
    ("UT", "综合管廊氧气监测仪", Sector.UTILITY_TUNNEL, AssetKind.UTILITY_TUNNEL, "o2", "410105", 113.720, 34.780),
]
HISTORY_HOURS = 24
STEP = dt.timedelta(minutes=10)


def _definition(levels) -> dict:
    return {"levels": [{"name": n, "rank": r, "conditions": [
        {"kind": k, "word": w, "value": v, **({"duration_min": d} if k == "threshold" and d else {}),
         **({"window_min": 30, "direction": "rise"} if k == "rate" else {})} for k, w, v, d in conds]} for n, r, conds in levels]}


def load(stdout=None) -> dict[str, int]:
    if Device.objects.filter(properties__demo=True).exists() or not Region.objects.filter(code="410102").exists():
        return {}
    props: dict[str, ObservedProperty] = {}
    sensors: dict[str, Sensor] = {}
    for key, (prop, _un, _us, sensor, _sim) in KINDS.items():
        props[key] = ObservedProperty.objects.get_or_create(name=prop, defaults={"description": "演示数据"})[0]
        sensors[key] = Sensor.objects.get_or_create(name=sensor, defaults={"description": "演示数据"})[0]
    for code, name, key, sector, esc, basis, levels in RULES:
        targets = [key] if key else list(KINDS)
        for k in targets:
            rcode = code if key else f"{code}-{k}"
            AlarmRule.objects.get_or_create(code=rcode, defaults=dict(
                name=name, observed_property=props[k], sector=sector, unit_symbol=KINDS[k][2], definition=_definition(levels),
                escalate_after_min=esc, basis=basis))
    streams: list[Datastream] = []
    counts: dict[str, int] = {}
    for i, (prefix, name, sector, kind, key, district, lon, lat) in enumerate(DEVICES, 1):
        counts[prefix] = counts.get(prefix, 0) + 1
        region = Region.objects.get(code=district)
        code = f"ZZ-{prefix}-{counts[prefix]:03d}"
        asset = MonitoredAsset.objects.create(code=f"A-{code}", name=f"{region.name}{name.replace('计', '').replace('仪', '')}监测点",
                                              kind=kind, sector=sector, district=region, geometry=Point(lon, lat, srid=4326),
                                              operator="演示运营单位")
        device = Device.objects.create(code=code, name=f"{region.name}{name}", sector=sector, district=region, asset=asset,
                                       location=Point(lon, lat, srid=4326), device_type=KINDS[key][3],
                                       install_date=dt.date(2024, 5, 1) + dt.timedelta(days=17 * i),
                                       sync_design=i % 3 == 0, sync_construction=i % 3 == 0, sync_acceptance=i % 3 == 0,
                                       sync_handover=i % 3 == 0, properties={"demo": True})
        prop, unit_name, unit_symbol, _s, sim = KINDS[key]
        streams.append(Datastream.objects.create(name=prop, device=device, sensor=sensors[key], observed_property=props[key],
                                                 unit_name=unit_name, unit_symbol=unit_symbol, properties={"sim": sim, "demo": True}))
    now = timezone.now().replace(second=0, microsecond=0)
    start = now - dt.timedelta(hours=HISTORY_HOURS)
    by_code = {ds.device.code: ds.pk for ds in streams}
    episodes = {  # a few incidents: two cleared in the history, three still active now
        by_code["ZZ-GAS-003"]: [(now - dt.timedelta(hours=14), now - dt.timedelta(hours=13))],
        by_code["ZZ-DRN-001"]: [(now - dt.timedelta(hours=6), now - dt.timedelta(hours=4, minutes=30))],
        by_code["ZZ-GAS-001"]: [(now - dt.timedelta(minutes=50), now + dt.timedelta(hours=1))],
        by_code["ZZ-MH-001"]: [(now - dt.timedelta(minutes=20), now + dt.timedelta(hours=1))],
        by_code["ZZ-WAT-002"]: [(now - dt.timedelta(minutes=40), now + dt.timedelta(hours=1))],
    }
    rows = history(streams, start, now, STEP, episodes=episodes)
    result = ingest(rows, source="simulator", note="演示数据：24 小时模拟读数", now=now + dt.timedelta(minutes=1))
    admin = get_user_model().objects.filter(username="admin").first() or get_user_model().objects.filter(is_superuser=True).first()
    first = Alarm.objects.filter(status=AlarmStatus.ACTIVE).order_by("level_rank").first()
    if admin is not None and first is not None:
        alarms.acknowledge(first, admin)
        alarms.add_step(first, "dispatch", admin, assignee="郑州华润燃气抢修中心", note="演示：派单现场排查")
    for closed in Alarm.objects.filter(status=AlarmStatus.CLEARED)[:1] if admin is not None else []:
        if not closed.acknowledged_by_id:
            alarms.acknowledge(closed, admin)
        for step, extra in (("dispatch", {"assignee": "市政排水抢修队"}), ("handle", {"note": "清掏雨水口"}),
                            ("verify", {"note": "液位恢复正常"}), ("close", {"note": "演示：处置完毕"})):
            alarms.add_step(closed, step, admin, **extra)
    out = {"devices": len(streams), "readings": result.count, "alarms": Alarm.objects.count()}
    if stdout is not None:
        stdout.write(f"城市生命线演示：{out['devices']} 台感知设备，{out['readings']} 条模拟读数，{out['alarms']} 条报警（演示数据）")
    return out

"""Demo ledger (演示台账) for Zhengzhou: generated rows, clearly marked, in ``cityrenew demo``.

A few thousand rows across the four ledgers and every district of the city: equipment of every
category, old communities, dangerous housing and office buildings, each named “…（演示数据）”,
flagged ``demo`` (the pages show a banner) and placed at a random point inside its district's
boundary (a generator seeded per row: the same demo on every machine). Values are drawn to cover
both sides of the rules' thresholds (commissioning years around 20 and 30 years ago, boilers of 35
and 36 t/h, energy ratios around 80 %, communities built around 2000).

The rows go through the real import (:func:`cityrenew.ledgers.importer.import_ledger`), so the demo
exercises what a clerk's file does. Running it again changes nothing.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
import pandas as pd
import shapely

from cityrenew.core.choices import RegionLevel
from cityrenew.core.models import Region

from .choices import RENOVATION_ITEMS, BuildingFunction, EquipmentCategory, LedgerKind
from .columns import COLUMNS
from .importer import import_ledger
from .models import LEDGER_MODELS

DEMO = "（演示数据）"
CITY_CODE = "410100"  # 郑州市
SEED = 20260630
PER_DISTRICT = {LedgerKind.EQUIPMENT: 160, LedgerKind.COMMUNITY: 40, LedgerKind.DANGEROUS_HOUSING: 10,
                LedgerKind.BUILDING: 10}
MATERIALS = {"燃气管道": ["灰口铸铁", "球墨铸铁", "钢质", "聚乙烯"], "供水管道": ["灰口铸铁", "球墨铸铁", "钢质", "聚乙烯", "水泥管"],
             "污水管道": ["混凝土", "钢筋混凝土", "聚乙烯", "铸铁"], "排水管道": ["混凝土", "钢筋混凝土", "聚乙烯"],
             "供热管道": ["钢质", "预制保温管"]}
STREETS = ["建设路", "中原路", "嵩山路", "大学路", "金水路", "花园路", "农业路", "陇海路", "航海路", "经三路", "紫荆山路", "商都路"]


def _districts() -> list[Region]:
    city = Region.objects.filter(code=CITY_CODE).first()
    if city is None:
        return []
    return list(Region.objects.filter(parent=city, level=RegionLevel.DISTRICT).order_by("order", "code"))


def _points(rng: np.random.Generator, district: Region, n: int) -> list[tuple[float, float]]:
    """``n`` points inside the district's boundary (its centroid ± 0.03° when it has none)."""
    if district.boundary is None:
        lon, lat = district.centroid_lon or 113.65, district.centroid_lat or 34.75
        return [(round(lon + rng.uniform(-0.03, 0.03), 6), round(lat + rng.uniform(-0.03, 0.03), 6)) for _ in range(n)]
    area = shapely.from_wkb(bytes(district.boundary.wkb))
    shapely.prepare(area)
    x0, y0, x1, y1 = area.bounds
    out: list[tuple[float, float]] = []
    while len(out) < n:
        xs, ys = rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n)
        inside = shapely.contains_xy(area, xs, ys)
        out += [(round(float(x), 6), round(float(y), 6)) for x, y in zip(xs[inside], ys[inside])]
    return out[:n]


def _day(rng: np.random.Generator, first: date, last: date) -> str:
    return (first + timedelta(days=int(rng.integers(0, (last - first).days + 1)))).isoformat()


def _equipment(rng, d: Region, i: int) -> dict:
    cat = EquipmentCategory.values[i % len(EquipmentCategory.values)]
    row = {"编号": f"DEMO-EQ-{d.code}-{i:04d}", "设备类别": cat, "名称": f"{d.display_name}{rng.choice(STREETS)}{cat}{i}{DEMO}",
           "投用日期": _day(rng, date(1988, 1, 1), date(2024, 12, 31)), "安全隐患": "是" if rng.random() < 0.15 else "否"}
    if cat in MATERIALS:
        row |= {"材质": str(rng.choice(MATERIALS[cat])), "长度（公里）": f"{rng.uniform(0.2, 6):.3f}",
                "管径（毫米）": str(int(rng.choice([100, 150, 200, 300, 500])))}
        if cat == "燃气管道":
            row["压力级制"] = str(rng.choice(["低压", "中压", "次高压"]))
    elif cat.endswith("锅炉"):
        row |= {"额定蒸发量（蒸吨/小时）": str(rng.choice([4, 10, 20, 35, 36, 75])), "能效等级": str(rng.choice(["1级", "2级", "3级"])),
                "排放达标": "否" if rng.random() < 0.2 else "是"}
    elif cat == "住宅电梯":
        row |= {"服务层数": str(int(rng.integers(6, 33))), "检验结论": "不允许使用" if rng.random() < 0.05 else "允许使用"}
    elif cat == "换热站":
        row["供热面积（万平方米）"] = f"{rng.uniform(2, 30):.2f}"
    elif cat in ("液化石油气钢瓶", "生命线感知设备"):
        row["数量"] = str(int(rng.integers(20, 2000)))
        if cat == "生命线感知设备":
            row["监测对象"] = str(rng.choice(["燃气管网", "供水管网", "桥梁", "排水防涝", "窨井盖"]))
    elif cat == "建筑施工机械":
        row["型号规格"] = str(rng.choice(["塔式起重机", "施工升降机", "挖掘机", "混凝土搅拌机"]))
    return row


def _community(rng, d: Region, i: int) -> dict:
    items = {g: "、".join(rng.choice(RENOVATION_ITEMS[g], size=int(rng.integers(1, 4)), replace=False)) for g in RENOVATION_ITEMS}
    return {"编号": f"DEMO-XQ-{d.code}-{i:03d}", "名称": f"{d.display_name}{rng.choice(STREETS)}{i}号院{DEMO}",
            "建成年份": str(int(rng.integers(1978, 2006))), "户数": str(int(rng.integers(40, 900))),
            "楼栋数": str(int(rng.integers(1, 20))), "产权类型": str(rng.choice(["房改房", "单位自管房", "商品房", "直管公房", "混合产权"])),
            "基础类改造内容": items["基础类"], "完善类改造内容": items["完善类"], "提升类改造内容": items["提升类"],
            "居民改造意愿（同意率，%）": f"{rng.uniform(55, 100):.1f}", "实施主体": f"{d.display_name}城市更新公司{DEMO}",
            "住宅专项维修资金余额（万元）": f"{rng.uniform(0, 300):.2f}"}


def _dangerous(rng, d: Region, i: int) -> dict:
    grade = str(rng.choice(["C级", "D级"]))
    heritage = rng.random() < 0.1
    return {"编号": f"DEMO-WF-{d.code}-{i:03d}", "名称": f"{d.display_name}{rng.choice(STREETS)}危房{i}{DEMO}", "危险性等级": grade,
            "土地性质": "国有土地" if rng.random() < 0.8 else "集体土地",
            "改造方式": "拆除" if grade == "D级" and not heritage else str(rng.choice(["加固", "改建", "重建"])),
            "涉及文物/历史建筑等保护对象": "是" if heritage else "否",
            "一屋一策改造方案": "保留原有风貌，结构加固后继续使用" if heritage else "",
            "建成年份": str(int(rng.integers(1950, 1995))), "户数": str(int(rng.integers(2, 60)))}


def _building(rng, d: Region, i: int) -> dict:
    return {"编号": f"DEMO-LY-{d.code}-{i:03d}", "名称": f"{d.display_name}{rng.choice(STREETS)}大厦{i}{DEMO}",
            "主要功能": str(rng.choice([BuildingFunction.OFFICE.label, BuildingFunction.COMMERCE.label])),
            "建成年份": str(int(rng.choice([1975, 1979, 1980, 1981, 1995, 2004, 2005, 2006, 2012]))),
            "已抗震鉴定加固": "是" if rng.random() < 0.4 else "否", "其他安全隐患已鉴定加固": "是" if rng.random() < 0.8 else "否",
            "已节能改造": "是" if rng.random() < 0.3 else "否",
            "用能占约束值比例（前年）": f"{rng.uniform(60, 100):.1f}", "用能占约束值比例（上年）": f"{rng.uniform(60, 100):.1f}",
            "建筑面积（平方米）": f"{rng.uniform(3000, 60000):.0f}"}


MAKERS = {LedgerKind.EQUIPMENT: _equipment, LedgerKind.COMMUNITY: _community,
          LedgerKind.DANGEROUS_HOUSING: _dangerous, LedgerKind.BUILDING: _building}


def demo_frame(kind: str, districts: list[Region]) -> pd.DataFrame:
    rng = np.random.default_rng([SEED, list(MAKERS).index(kind)])
    rows = []
    for d in districts:
        n = PER_DISTRICT[kind]
        points = _points(rng, d, n)
        for i in range(n):
            row = MAKERS[kind](rng, d, i + 1)
            row |= {"所在区域": d.code, "经度": str(points[i][0]), "纬度": str(points[i][1]),
                    "地址": f"郑州市{d.display_name}{rng.choice(STREETS)}{int(rng.integers(1, 300))}号",
                    "备注": "演示数据：由 cityrenew demo 生成，并非真实台账"}
            rows.append(row)
    headers = [c.header for c in COLUMNS[kind]]
    return pd.DataFrame(rows).reindex(columns=headers).astype(object).fillna("")


def load(stdout=None) -> dict[str, int]:
    districts = _districts()
    counts: dict[str, int] = {}
    if not districts:
        return counts
    for kind in MAKERS:
        model = LEDGER_MODELS[kind]
        if model.objects.filter(demo=True).exists():
            counts[str(kind)] = 0
            continue
        data = demo_frame(kind, districts).to_csv(index=False).encode("utf-8")
        report = import_ledger(io.BytesIO(data), kind, name=f"演示台账-{kind}.csv")
        if not report.ok:
            raise RuntimeError(f"演示台账生成有误：{report.errors[:3]}")
        model.objects.filter(import_batch_id=report.batch_id).update(demo=True)
        counts[str(kind)] = report.created
    if stdout is not None:
        stdout.write("演示台账（生成的演示数据）：" + "，".join(f"{dict(LedgerKind.choices)[k]} {n} 行" for k, n in counts.items()) + "\n")
    return counts

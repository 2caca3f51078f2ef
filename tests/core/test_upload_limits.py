"""Upload limits (safe files): a zip-bomb xlsx and a million-row CSV are refused before parsing with a
Chinese message naming the limit, and the worker's memory stays small; size, rows and unpacked size
are checked on both sides of each boundary, through every import that reads a table or a zip.

Time is not asserted here (speed lives in ``bench/uploads_bench.py``, budget 2 s); the subprocess
prints it.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from hostile_files import million_row_csv, run_probe, zip_bomb_xlsx

REPO = Path(__file__).resolve().parents[2]
HEADER = "项目编号,项目名称,项目总投资（亿元）,区域\n"



def _probe(path: Path, tmp_path: Path) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cityrenew.settings_test", "PYTHONPATH": str(REPO),
           "CITYRENEW_DATA_DIR": str(tmp_path / "var"), "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}"}
    for key in [k for k in env if k.startswith("CITYRENEW_UPLOAD_")]:
        del env[key]  # the shipped defaults
    result = run_probe(str(path), env, tmp_path)
    print(f"{path.name}: refused in {result['seconds']:.2f} s, peak {result['maxrss_mb']:.0f} MB")
    return result


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    return zip_bomb_xlsx(tmp_path_factory.mktemp("bomb") / "项目清单.xlsx")


def test_zip_bomb_xlsx_is_refused_before_parsing_in_a_small_worker(bomb, tmp_path):
    assert bomb.stat().st_size < 8 * 1024 * 1024
    with zipfile.ZipFile(bomb) as zf:
        assert sum(i.file_size for i in zf.infolist()) > 3 * 1024**3 - 1024**2  # gigabytes once unpacked
    result = _probe(bomb, tmp_path)
    assert not result["ok"]
    assert result["errors"] == ["「文件」：解压后大小超过上限：本文件解压后 3 GB，允许不超过 256 MB（疑似压缩炸弹或文件过大）"]
    assert result["maxrss_mb"] < 300


def test_million_row_csv_is_refused_by_its_row_count_in_a_small_worker(tmp_path):
    csv_path = million_row_csv(tmp_path / "百万行.csv")
    assert csv_path.stat().st_size < 50 * 1024 * 1024  # under the size limit: the row count refuses it
    result = _probe(csv_path, tmp_path)
    assert not result["ok"]
    assert result["errors"] == ["「文件」：数据行数超过上限：本文件超过 200,000 行（表头以外），允许不超过 200,000 行（请拆分为多个文件分批导入）"]
    assert result["maxrss_mb"] < 300


# --- both sides of each limit, through the importers ----------------------------------------------


def _csv(rows: int) -> bytes:
    return (HEADER + "".join(f"K202601{i:03d},项目{i},1.5,中原区\n" for i in range(1, rows + 1))).encode()


def _xlsx(rows: int) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["项目编号", "项目名称", "项目总投资（亿元）", "区域"])
    for i in range(1, rows + 1):
        ws.append([f"K202601{i:03d}", f"项目{i}", 1.5, "中原区"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("make", [_csv, _xlsx], ids=["csv", "xlsx"])
def test_row_limit_accepts_the_maximum_and_refuses_one_more(make, regions, settings):
    from cityrenew.projects.importer import import_projects
    from cityrenew.projects.models import RenewalProject

    settings.CITYRENEW_UPLOAD_LIMITS = {"max_rows": 5}
    at_limit = import_projects(io.BytesIO(make(5)), dry_run=True)
    assert at_limit.ok, at_limit.summary_text()
    assert len(at_limit.rows) == 5
    over = import_projects(io.BytesIO(make(6)))
    assert [str(e) for e in over.errors] == [
        "「文件」：数据行数超过上限：本文件超过 5 行（表头以外），允许不超过 5 行（请拆分为多个文件分批导入）"]
    assert RenewalProject.objects.count() == 0


def test_size_limit_is_checked_before_reading(regions, settings, tmp_path):
    from cityrenew.projects.importer import import_projects

    data = _csv(50)
    settings.CITYRENEW_UPLOAD_LIMITS = {"max_bytes": {"table": len(data)}}
    path = tmp_path / "p.csv"
    path.write_bytes(data)
    assert import_projects(path, dry_run=True).ok
    path.write_bytes(data + b"\n")  # one byte more
    report = import_projects(path)
    assert len(report.errors) == 1
    assert str(report.errors[0]).startswith(f"「文件」：表格文件大小超过上限：本文件 {(len(data) + 1) / 1024:.1f} KB，允许不超过 ")


def test_unpacked_size_and_ratio_both_sides():
    from cityrenew.core.uploads import UploadLimitError, check_zip

    def zipped(n: int, data: bytes = b"x") -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("a.txt", data * n)
        return buf.getvalue()

    from django.test import override_settings

    with override_settings(CITYRENEW_UPLOAD_LIMITS={"max_unzipped_bytes": 4 * 1024 * 1024, "max_zip_ratio": 10_000}):
        check_zip(zipped(4 * 1024 * 1024))
        with pytest.raises(UploadLimitError, match="解压后大小超过上限：本文件解压后 4 MB，允许不超过 4 MB"):
            check_zip(zipped(4 * 1024 * 1024 + 1))
    # ratio: 2 MB of one byte packs ~1000:1 (a bomb); random-ish text packs far less
    with override_settings(CITYRENEW_UPLOAD_LIMITS={"max_zip_ratio": 100}):
        with pytest.raises(UploadLimitError, match=r"压缩比超过上限：本文件 [\d,]+ 倍，允许不超过 100 倍（疑似压缩炸弹）"):
            check_zip(zipped(2 * 1024 * 1024))
        check_zip(zipped(1, os.urandom(3 * 1024 * 1024)))
    with override_settings(CITYRENEW_UPLOAD_LIMITS={"max_zip_members": 2}):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for i in range(3):
                zf.writestr(f"{i}.txt", "x")
        with pytest.raises(UploadLimitError, match="压缩包内文件数超过上限：本文件 3 个，允许不超过 2 个"):
            check_zip(buf.getvalue())


def test_department_template_upload_refuses_the_bomb(bomb, regions, city_admin):
    from cityrenew.checkup.catalogue import SET_2025, load_indicator_sets
    from cityrenew.checkup import services

    run = services.create_run(regions["郑州市"], 2025, load_indicator_sets()[SET_2025], city_admin)
    task = run.tasks.first()
    with open(bomb, "rb") as fh:
        report = services.upload_department_values(task, fh, city_admin)
    assert [str(e) for e in report.errors] == ["「文件」：解压后大小超过上限：本文件解压后 3 GB，允许不超过 256 MB（疑似压缩炸弹或文件过大）"]


def test_unit_import_refuses_a_bomb_xlsx_and_a_bomb_shapefile_zip(bomb, regions, city_admin, tmp_path, settings):
    from cityrenew.checkup.services.units import run_unit_import

    options = {"crs": "auto", "epsg": "", "kind": "", "region": ""}
    report = run_unit_import(bomb, regions["郑州市"], options, city_admin, dry_run=True)
    assert [e.message for e in report.errors] == ["解压后大小超过上限：本文件解压后 3 GB，允许不超过 256 MB（疑似压缩炸弹或文件过大）"]
    shp_zip = tmp_path / "units.zip"
    with zipfile.ZipFile(shp_zip, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("units.shp", b"\x00" * (3 * 1024 * 1024))
        zf.writestr("units.dbf", b"\x00" * 64)
        zf.writestr("units.shx", b"\x00" * 64)
    report = run_unit_import(shp_zip, regions["郑州市"], options, city_admin, dry_run=True)
    assert len(report.errors) == 1
    msg = report.errors[0].message
    assert msg.startswith("压缩比超过上限：本文件 ") and msg.endswith(" 倍，允许不超过 100 倍（疑似压缩炸弹）")
    assert not (tmp_path / "layer.shp").exists()


def test_the_import_page_refuses_a_file_past_the_largest_limit_without_storing_it(client, city_admin, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cityrenew.core.uploads import human_size

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every file through the temporary-file handler
    settings.CITYRENEW_UPLOAD_LIMITS = {"max_bytes": {"table": 2000, "geodata": 2000, "attachment": 2000, "json": 2000}}
    client.force_login(city_admin)
    url = "/projects/import/"
    data = _csv(80)
    resp = client.post(url, {"file": SimpleUploadedFile("项目.csv", data), "batch_type": "add"})
    assert resp.status_code == 400
    assert len(data) > 2100  # shown as 2.1 KB or more, against the 2000 bytes allowed
    assert f"文件“项目.csv”表格文件大小超过上限：本文件 {human_size(len(data))}，允许不超过 {human_size(2000)}" in resp.content.decode()
    small = _csv(20)
    assert len(small) <= 2000
    resp = client.post(url, {"file": SimpleUploadedFile("项目.csv", small), "batch_type": "add"})
    assert "表格文件大小超过上限" not in resp.content.decode()


def test_the_upload_handler_stops_storing_a_file_past_the_largest_limit(settings, tmp_path):
    from django.http.multipartparser import MultiPartParser
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cityrenew.core.uploads import CappedUploadHandler, OversizeUpload

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.CITYRENEW_UPLOAD_LIMITS = {"max_bytes": {"table": 100_000, "geodata": 200_000, "attachment": 1, "json": 1}}

    def parse(size: int):
        body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("a.csv", b"x" * size)})
        meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
        return MultiPartParser(meta, io.BytesIO(body), [CappedUploadHandler()]).parse()[1]["file"]

    kept = parse(200_000)  # at the largest limit: stored whole in a temporary file
    assert not isinstance(kept, OversizeUpload) and kept.size == 200_000 and len(kept.read()) == 200_000
    assert kept.temporary_file_path().startswith(str(tmp_path))
    kept.close()
    dropped = parse(200_001)  # one byte more: counted, not stored
    assert isinstance(dropped, OversizeUpload) and dropped.size == 200_001 and dropped.read() == b""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix,driver", [(".geojson", "GeoJSON"), (".shp", "ESRI Shapefile"), (".gpkg", "GPKG")])
def test_geodata_feature_limit_both_sides(suffix, driver, regions, city_admin, settings, tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    from cityrenew.checkup.services.units import feature_count, import_units_geodata

    settings.CITYRENEW_UPLOAD_LIMITS = {"max_rows": 2}

    def layer(n: int) -> Path:
        path = tmp_path / f"units{n}{suffix}"
        gpd.GeoDataFrame({"name": [f"伏牛路小区{i}号楼" for i in range(n)], "kind": ["住房"] * n, "region": ["伏牛路社区"] * n},
                         geometry=[Point(113.62 + i / 1000, 34.755) for i in range(n)], crs="EPSG:4326").to_file(path, driver=driver)
        return path

    at_limit, over = layer(2), layer(3)
    assert (feature_count(at_limit), feature_count(over)) == (2, 3)
    rep = import_units_geodata(at_limit, regions["郑州市"], city_admin)
    assert rep.ok, rep.summary_text()
    rep = import_units_geodata(over, regions["郑州市"], city_admin)
    assert [e.message for e in rep.errors] == ["要素数超过上限：本文件超过 2 个，允许不超过 2 个（请拆分为多个文件分批导入）"]


def test_the_import_page_refuses_the_bomb_at_the_form(bomb, client, city_admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(city_admin)
    resp = client.post("/projects/import/", {"file": SimpleUploadedFile("项目清单.xlsx", bomb.read_bytes()), "batch_type": "add"})
    assert resp.status_code == 400
    assert "文件“项目清单.xlsx”解压后大小超过上限：本文件解压后 3 GB，允许不超过 256 MB（疑似压缩炸弹或文件过大）" in resp.content.decode()

"""Bad input: each case gets a specific Chinese message naming row and field, and nothing is written."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from cityrenew.core.models import AuditLog
from cityrenew.projects.exports import library_workbook, projects_workbook
from cityrenew.projects.importer import import_projects
from cityrenew.projects.models import AdjustmentBatch, RenewalProject

pytestmark = pytest.mark.django_db

HEADER = "序号,项目编号,项目名称,项目总投资（亿元）,区域\n"
GOOD = "1,K202601001,测试项目一,1.5,中原区\n"


@pytest.fixture
def library(regions, reference_data):
    """The real library loaded first, so 'database unchanged' is checked against real data."""
    assert import_projects(reference_data / "zhengzhou_projects.csv").ok
    return reference_data


def state():
    return (RenewalProject.objects.count(), AuditLog.objects.count(), AdjustmentBatch.objects.count(),
            sorted(RenewalProject.objects.values_list("code", "name", "total_investment")))


def run(text: str | bytes, **kw):
    data = text.encode("utf-8") if isinstance(text, str) else text
    before = state()
    report = import_projects(io.BytesIO(data), batch_no="测试〔2026〕9号", **kw)
    assert not report.ok
    assert state() == before, "the database changed although the import failed"
    return [str(e) for e in report.errors]


@pytest.mark.parametrize(
    "row, expected",
    [
        ("2,X2022,测试项目,1,中原区\n",
         "第 3 行「项目编号」：格式不正确，应为 K+年份+批次+序号（如 K202201001），实际为“X2022”"),
        ("2,,测试项目,1,中原区\n", "第 3 行「项目编号」：不能为空"),
        ("2,K202601002,,1,中原区\n", "第 3 行「项目名称」：不能为空"),
        ("2,K202601002,测试项目,-3.2,中原区\n", "第 3 行「项目总投资（亿元）」：不能为负数，实际为“-3.2”"),
        ("2,K202601002,测试项目,三亿,中原区\n", "第 3 行「项目总投资（亿元）」：不是有效的数字，实际为“三亿”"),
        ("2,K202601002,测试项目,1.1234567,中原区\n", "第 3 行「项目总投资（亿元）」：最多保留 6 位小数，实际为“1.1234567”"),
        ("2,K202601002,测试项目,1,,\n", "第 3 行「区域」：不能为空"),
        ("2,K202601002,测试项目,1,火星区\n",
         "第 3 行「区域」：未知区域“火星区”，请填写行政区划名称，如 中原区、管城区，多个区域用“/”分隔"),
        ("2,K202601002,测试项目,1,中原区/火星区\n",
         "第 3 行「区域」：未知区域“火星区”，请填写行政区划名称，如 中原区、管城区，多个区域用“/”分隔"),
        ("2,K202601001,测试项目二,1,中原区\n", "第 3 行「项目编号」：项目编号“K202601001”在文件中重复（与第 2 行相同）"),
        ("2,K202201005,芝麻街1958双创园,51,中原区\n",
         "第 3 行「项目编号」：项目 K202201005 已在项目库中，且项目总投资（亿元）与库中不同；如需修改请使用“更新”（--update）"),
    ],
    ids=["malformed-code", "empty-code", "empty-name", "negative", "non-numeric", "too-many-decimals",
         "empty-district", "unknown-district", "unknown-in-multi", "duplicate-in-file", "duplicate-of-existing"],
)
def test_bad_row_is_reported_and_nothing_written(library, row, expected):
    errors = run(HEADER + GOOD + row)
    assert errors == [expected]


def test_all_errors_reported_at_once_with_row_status(library):
    text = HEADER + GOOD + "2,X1,,abc,火星区\n" + "3,K202601003,好项目,2,二七区\n"
    before = state()
    report = import_projects(io.BytesIO(text.encode()))
    assert state() == before
    assert [e.field for e in report.errors] == ["项目编号", "项目名称", "项目总投资（亿元）", "区域"]
    assert all(e.row == 3 for e in report.errors)
    assert [r.status for r in report.rows] == ["新增", "错误", "新增"]
    assert "导入失败" in report.summary_text() and "数据库未做任何修改" in report.summary_text()


def test_alias_and_multi_district_names_resolve(regions):
    report = import_projects(io.BytesIO((HEADER + "1,K202601001,跨区测试,10,管城区/金水区\n"
                                          "2,K202601002,别名测试,1,郑州高新区\n").encode()))
    assert report.ok, report.summary_text()
    p = RenewalProject.objects.get(code="K202601001")
    assert sorted(r.name for r in p.districts.all()) == ["管城回族区", "金水区"]
    assert RenewalProject.objects.get(code="K202601002").districts.get().short_name == "高新区"


def test_wrong_encoding(library):
    data = (HEADER + GOOD).encode("utf-16")
    errors = run(data)
    assert errors == ["第 1 行「文件编码」：无法识别的文件编码（第 1 行附近有既不是 UTF-8 也不是 GBK 的字节）；请将 CSV 另存为 UTF-8 或 GBK 编码后重新导入"]


def test_bytes_neither_utf8_nor_gbk(library):
    data = (HEADER + GOOD).encode("utf-8") + b"2,K202601002,\xff\xfe\xff,1,\xe4\xb8\n"
    errors = run(data)
    assert errors == ["第 3 行「文件编码」：无法识别的文件编码（第 3 行附近有既不是 UTF-8 也不是 GBK 的字节）；请将 CSV 另存为 UTF-8 或 GBK 编码后重新导入"]


def test_gbk_and_utf8_with_bom(regions):
    text = HEADER + GOOD + "2,K202601002,管城回族区老旧小区改造项目,2.25,管城区\n"
    r1 = import_projects(io.BytesIO(text.encode("gbk")))
    assert r1.ok and r1.created == 2, r1.summary_text()
    assert RenewalProject.objects.get(code="K202601002").name == "管城回族区老旧小区改造项目"
    r2 = import_projects(io.BytesIO(text.encode("utf-8-sig")))
    assert r2.ok and r2.unchanged == 2 and r2.created == 0


def test_missing_column(library):
    errors = run("序号,项目编号,项目名称,区域\n1,K202601001,测试,中原区\n")
    assert errors == ["第 1 行「表头」：缺少必需的列：项目总投资（亿元）"]


def test_truncated_xlsx(library, tmp_path):
    wb = projects_workbook(RenewalProject.objects.all())
    path = tmp_path / "library.xlsx"
    wb.save(path)
    data = path.read_bytes()
    errors = run(data[: len(data) // 2])
    assert len(errors) == 1
    assert errors[0].startswith("「文件」：Excel 文件已损坏或不完整，无法读取")


def test_not_an_xlsx_at_all(library):
    errors = run(b"PK\x03\x04this is not a zip archive")
    assert "Excel 文件已损坏或不完整" in errors[0]


def test_bad_row_inside_xlsx_names_the_sheet_row(library):
    wb = Workbook()
    ws = wb.active
    ws.append(["郑州市城市更新项目（测试）"])
    ws.append(["序号", "项目编号", "项目名称", "项目总投资（亿元）", "区域"])
    ws.append([1, "K202601001", "测试项目", 1.5, "中原区"])
    ws.append([2, "K202601002", "测试项目二", -1, "二七区"])
    buf = io.BytesIO()
    wb.save(buf)
    errors = run(buf.getvalue())
    assert errors == ["第 4 行「项目总投资（亿元）」：不能为负数，实际为“-1”"]


def test_xlsx_round_trips_unchanged(library, tmp_path):
    before = state()
    for name, wb in [("list.xlsx", projects_workbook(RenewalProject.objects.all())), ("library.xlsx", library_workbook())]:
        path = tmp_path / name
        wb.save(path)
        report = import_projects(path)
        assert report.ok, report.summary_text()
        assert (report.created, report.updated, report.unchanged) == (0, 0, 276), name
    assert state() == before


def test_library_workbook_official_layout(library, tmp_path):
    path = tmp_path / "library.xlsx"
    library_workbook().save(path)
    ws = load_workbook(path).active
    assert ws["A1"].value == "郑州市城市更新项目库"
    assert [c.value for c in ws[2]] == ["序号", "项目编号", "项目名称", "项目总投资（亿元）", "区域", "区域总投资（亿元）"]
    assert (ws["A3"].value, ws["F3"].value) == ("市内五区", 4748.34)
    assert [c.value for c in ws[4]] == [1, "K202201001", "金水河“一河两岸”项目", 388, "中原区/二七区/金水区", 388]
    assert [ws.cell(5, c).value for c in (1, 2, 5, 6)] == [2, "K202201005", "中原区", 947.99]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "E5:E29" in merged and "F5:F29" in merged  # 中原区: 25 rows
    last = ws.max_row
    assert (ws.cell(last, 1).value, ws.cell(last, 6).value) == ("合计（亿元）", 7895.45)
    banners = {ws.cell(r, 1).value: ws.cell(r, 6).value for r in range(3, last) if ws.cell(r, 2).value is None and ws.cell(r, 1).value in ("市内五区", "各开发区", "各区县（市）")}
    assert banners == {"市内五区": 4748.34, "各开发区": 1636.54, "各区县（市）": 1510.57}
    seq18 = next(r for r in range(3, last) if ws.cell(r, 1).value == 18)
    assert ws.cell(seq18, 4).value == 1.107528

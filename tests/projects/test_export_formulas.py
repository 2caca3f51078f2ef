"""Formula injection (公式注入): a project named ``=HYPERLINK(…)`` is text in every export.

Each export is read back with openpyxl: the cell is a string cell (``data_type == "s"``) with the
name unchanged and Excel's quote prefix, and no cell of any export is a formula.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from cityrenew.core import audit
from cityrenew.core.models import Organisation
from cityrenew.core.xlsx import csv_safe, formula_like
from cityrenew.projects.exports import library_workbook, projects_workbook
from cityrenew.projects.importer import import_projects
from cityrenew.projects.models import RenewalProject

EVIL = '=HYPERLINK("http://x","y")'
OTHERS = ["+1+2", "-1+2", "@SUM(1)"]
CSV = (
    "序号,项目编号,项目名称,项目总投资（亿元）,区域\n"
    '1,K202601001,"=HYPERLINK(""http://x"",""y"")",1.5,中原区\n'
    "2,K202601002,+1+2,2,二七区\n"
    "3,K202601003,-1+2,1,中原区\n"
    "4,K202601004,@SUM(1),1,金水区\n"
    "5,K202601005,普通项目,1,金水区\n"
)


@pytest.fixture
def evil_library(regions, city_admin):
    report = import_projects(io.BytesIO(CSV.encode()), user=city_admin)
    assert report.ok and report.created == 5, report.summary_text()
    assert RenewalProject.objects.get(code="K202601001").name == EVIL


def cells(data: bytes):
    wb = load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def assert_text(data: bytes, values=(EVIL, *OTHERS)) -> None:
    all_cells = cells(data)
    assert not [c.coordinate for c in all_cells if c.data_type == "f"], "a cell was written as a formula"
    for value in values:
        hits = [c for c in all_cells if c.value == value]
        assert hits, f"{value!r} not exported"
        for c in hits:
            assert c.data_type == "s" and c.quotePrefix, (value, c.coordinate, c.data_type, c.quotePrefix)


def to_bytes(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_formula_like_and_csv_safe():
    for text in (EVIL, *OTHERS, "\t=1", "\r=1"):
        assert formula_like(text) and csv_safe(text) == "'" + text
    for value in ("普通项目", "K202601001", "", None, -1, 2.5, "a=b"):
        assert not formula_like(value) and csv_safe(value) == value


def test_official_layout_and_list_exports_write_names_as_text(evil_library):
    assert_text(to_bytes(library_workbook()))
    assert_text(to_bytes(projects_workbook(RenewalProject.objects.all())))
    # the ordinary name is not touched: no quote prefix where none is needed
    plain = [c for c in cells(to_bytes(projects_workbook(RenewalProject.objects.all()))) if c.value == "普通项目"]
    assert plain and not plain[0].quotePrefix


def test_exports_still_reimport_unchanged(evil_library, tmp_path):
    for name, wb in (("list.xlsx", projects_workbook(RenewalProject.objects.all())), ("library.xlsx", library_workbook())):
        path = tmp_path / name
        wb.save(path)
        report = import_projects(path)
        assert report.ok and report.unchanged == 5, (name, report.summary_text())


def test_page_exports_write_names_as_text(client, evil_library, viewer):
    client.force_login(viewer)
    for url in ("/projects/export.xlsx", "/projects/summary/export.xlsx?kind=library"):
        resp = client.get(url)
        assert resp.status_code == 200 and resp["Content-Disposition"].startswith("attachment"), url
        assert_text(resp.content)


def test_audit_export_writes_object_names_as_text(client, evil_library, city_admin):
    with audit.actor(city_admin, "web"):
        Organisation.objects.create(name=EVIL)
    client.force_login(city_admin)
    resp = client.get("/audit/export.xlsx")
    assert resp.status_code == 200
    assert_text(resp.content, values=(EVIL,))

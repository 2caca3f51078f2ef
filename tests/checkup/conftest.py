"""Fixtures of the check-up tests: indicator sets, assessment units imported from a real xlsx,
department users."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

# (编码, 名称, 类型, 所在区划, 上级单元, 经度, 纬度, 建成年代, 户数)
UNITS = [
    ("T-J01", "绿东村街区", "街区", "绿东村街道", "", 113.6236, 34.7541, None, None),
    ("T-J02", "建中街街区", "街区", "建中街街道", "", 113.6478, 34.7362, None, None),
    ("T-X01", "伏牛路小区", "小区", "伏牛路社区", "T-J01", 113.6205, 34.7552, 1992, 420),
    ("T-X02", "建中街小区", "小区", "建中街社区", "T-J02", 113.6460, 34.7370, 1996, 380),
    ("T-B01", "伏牛路小区1号楼", "住房（楼栋）", "伏牛路社区", "T-X01", 113.6201, 34.7550, 1992, 36),
    ("T-B02", "伏牛路小区2号楼", "住房（楼栋）", "伏牛路社区", "T-X01", 113.6209, 34.7554, 1992, 36),
    ("T-B03", "建中街小区3号楼", "住房（楼栋）", "建中街社区", "T-X02", 113.6463, 34.7372, 1996, 48),
]
UNIT_HEADERS = ["编码", "名称", "类型", "所在区划", "上级单元", "经度", "纬度", "建成年代", "户数"]


def xlsx_bytes(headers, rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def reopen(wb) -> "Workbook":
    """Save a workbook made by our code and read it back as a department would open it."""
    buf = io.BytesIO()
    wb.save(buf)
    return load_workbook(io.BytesIO(buf.getvalue()))


def to_bytes(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def sets(db):
    from cityrenew.checkup.catalogue import load_indicator_sets

    return load_indicator_sets()


@pytest.fixture
def units(regions, city_admin):
    from cityrenew.checkup.services.units import import_units_excel

    report = import_units_excel(io.BytesIO(xlsx_bytes(UNIT_HEADERS, UNITS)), regions["郑州市"], city_admin)
    assert report.ok, report.summary_text()
    from cityrenew.checkup.models import AssessmentUnit

    return {u.code: u for u in AssessmentUnit.objects.all()}


@pytest.fixture
def dept_user(make_user):
    """make a 部门填报员 (dept_editor) of ``organisation`` over the city."""
    from cityrenew.core.models import Region, RoleAssignment

    def make(username: str, organisation, role: str = "dept_editor"):
        user = make_user(username, None, None)
        RoleAssignment.objects.create(user=user, role=role, region=Region.objects.get(code="410100"), organisation=organisation)
        return user

    return make


def plausible(indicator) -> float:
    """A deterministic plausible value for a reported indicator."""
    if indicator.unit == "%":
        return 80 + indicator.number % 15
    if indicator.unit in ("平方米/人",):
        return 2.5
    return indicator.number % 7 + 1


def fill_template(wb, value_for=plausible, indicators=None):
    """Type a value in every 数值 cell of a department template (as a clerk would in Excel)."""
    ws = wb["填报表"]
    header = [c.value for c in ws[3]]
    c_num, c_val = header.index("序号") + 1, header.index("数值") + 1
    by_number = {i.number: i for i in indicators} if indicators else {}
    for r in range(4, ws.max_row + 1):
        n = ws.cell(row=r, column=c_num).value
        if n is None:
            continue
        ws.cell(row=r, column=c_val).value = value_for(by_number[n]) if by_number else 1
    return wb

"""The funding-plan Excel template, import (all-or-nothing, 第 N 行「字段」：原因) and export, with real xlsx files."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from cityrenew.core.models import AuditLog
from cityrenew.funding import importer
from cityrenew.funding.models import FundingLine

pytestmark = pytest.mark.django_db
HEADERS = importer.HEADERS


def xlsx(rows, headers=HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "资金计划"
    ws.append(headers)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD = [
    ["K202201005", "中央财政城市更新补助资金", 2025, 3000, 1200, 800, "首批"],
    ["K202201005", "住宅专项维修资金", 2025, "260.5", None, None, ""],
    ["K202201005", "超长期特别国债", 2026, 500, 0, 0, ""],
]


def test_dry_run_then_import_then_rerun_changes_nothing(project, erqi_project, zhongyuan_editor):
    data = xlsx(GOOD)
    report = importer.import_lines(zhongyuan_editor, data, dry_run=True)
    assert report.ok and (report.rows, report.created) == (3, 3)
    assert FundingLine.objects.count() == 0  # a dry run writes nothing
    report = importer.import_lines(zhongyuan_editor, data, dry_run=False)
    assert report.ok and report.summary == "共 3 行：已新增 3 条、已更新 0 条，0 条无变化。"
    line = FundingLine.objects.get(channel="maintenance_fund")
    assert (line.planned, line.received, line.spent) == (Decimal("260.5"), Decimal("0"), Decimal("0"))
    audit_rows = AuditLog.objects.count()
    again = importer.import_lines(zhongyuan_editor, data, dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert AuditLog.objects.count() == audit_rows
    changed = importer.import_lines(zhongyuan_editor, xlsx([GOOD[0][:3] + [3100, 1200, 800, "首批"]]), dry_run=False)
    assert changed.updated == 1 and FundingLine.objects.get(channel="central_finance").planned == Decimal("3100")


def test_every_bad_row_is_reported_and_nothing_is_written(project, erqi_project, zhongyuan_editor):
    rows = [
        GOOD[0],
        ["K202201005", "中央财政城市更新补助资金", 2026, -5, 0, 0, ""],
        ["K209901001", "地方政府专项债券", 2025, 1, 0, 0, ""],
        ["K202201005", "天上掉馅饼", 2025, 1, 0, 0, ""],
        ["K202201005", "居民出资", 1899, 1, 0, 0, ""],
        ["K202201010", "居民出资", 2025, 1, 0, 0, ""],  # 二七区: outside the editor's scope
        ["K202201005", "中央财政城市更新补助资金", 2025, 1, 0, 0, ""],  # duplicate of row 2
        ["K202201005", "居民出资", 2025, "一百", 0, 0, ""],
    ]
    report = importer.import_lines(zhongyuan_editor, xlsx(rows), dry_run=False)
    assert [str(e) for e in report.errors] == [
        "第 3 行「计划金额（万元）」：不能为负数（填写的是 -5 万元）",
        "第 4 行「项目编号」：项目库中没有编号为“K209901001”的项目",
        "第 5 行「资金渠道」：“天上掉馅饼”不是可选的资金渠道（见模板“渠道”表）",
        "第 6 行「年度」：“1899”不是 2000–2100 之间的年份",
        "第 7 行「项目编号」：无权修改项目 K202201010 的资金计划：超出您的编辑范围",
        "第 8 行「项目编号」：与第 2 行重复：同一项目、渠道、年度只能有一行",
        "第 9 行「计划金额（万元）」：“一百”不是数字（单位：万元）",
    ]
    assert report.summary == "发现 7 处错误，未导入任何数据。"
    assert FundingLine.objects.count() == 0


def test_missing_columns_and_a_file_that_is_not_a_table(project, zhongyuan_editor):
    report = importer.import_lines(zhongyuan_editor, xlsx([["K202201005"]], headers=["项目编号", "金额"]))
    assert [str(e) for e in report.errors] == ["第 1 行「表头」：缺少列：资金渠道、年度、计划金额（万元）（请使用资金计划导入模板）"]
    report = importer.import_lines(zhongyuan_editor, "项目编号,资金渠道,年度,计划金额（万元）\n".encode("utf-8"))
    assert [str(e) for e in report.errors] == ["「文件」：没有数据行"]


def test_csv_in_gbk_is_read(project, zhongyuan_editor):
    text = "项目编号,资金渠道,年度,计划金额（万元）\nK202201005,居民出资,2025,12.5\n"
    report = importer.import_lines(zhongyuan_editor, text.encode("gb18030"), dry_run=False)
    assert report.ok and FundingLine.objects.get().planned == Decimal("12.5")


def test_template_and_export_round_trip(project, zhongyuan_editor):
    wb = importer.template_workbook()
    assert [c.value for c in wb["资金计划"][1]] == HEADERS
    assert "住宅专项维修资金" in [c.value for c in wb["渠道"]["A"]]
    importer.import_lines(zhongyuan_editor, xlsx(GOOD), dry_run=False)
    buf = io.BytesIO()
    importer.export_workbook(FundingLine.objects.select_related("project").order_by("year", "channel")).save(buf)
    exported = buf.getvalue()
    rows = list(load_workbook(io.BytesIO(exported))["资金计划"].iter_rows(values_only=True))
    assert rows[0] == tuple(HEADERS) and len(rows) == 4
    again = importer.import_lines(zhongyuan_editor, exported, dry_run=False)
    assert again.ok and again.unchanged == 3


def test_import_page_dry_run_then_confirm(client, project, zhongyuan_editor, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DATA_DIR = tmp_path
    client.force_login(zhongyuan_editor)
    r = client.post("/funding/import/", {"file": SimpleUploadedFile("资金.xlsx", xlsx(GOOD))})
    assert r.status_code == 200 and "将新增 3 条" in r.content.decode()
    assert FundingLine.objects.count() == 0
    token = r.context["token"]
    r = client.post("/funding/import/", {"token": token, "confirm": "1"})
    assert r.status_code == 302 and FundingLine.objects.count() == 3
    bad = xlsx([["K202201005", "居民出资", 2025, -1, 0, 0, ""]])
    r = client.post("/funding/import/", {"file": SimpleUploadedFile("坏.xlsx", bad)})
    assert r.status_code == 400 and "第 2 行「计划金额（万元）」：不能为负数" in r.content.decode()

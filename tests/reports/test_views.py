"""The pages and API of 报送与统计: generate (and a refused year), download Excel/Word whose figures equal the
records, the comparison and the statistics export for the province user, and what other users may not see."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from docx import Document
from openpyxl import load_workbook

from cityrenew.funding.models import FundingLine
from cityrenew.projects.models import RenewalProject
from cityrenew.reports import services
from cityrenew.reports.figures import statistics
from cityrenew.reports.models import ProgressReport

pytestmark = pytest.mark.django_db


def messages_of(resp) -> list[str]:
    return [str(m) for m in resp.context["messages"]]


def test_generate_page_refuses_a_year_without_data(client, two_cities, luoyang_admin):
    client.force_login(luoyang_admin)
    city = two_cities["luoyang"]
    resp = client.get("/reports/")
    assert resp.status_code == 200 and "生成进度报告" in resp.content.decode()
    resp = client.post("/reports/generate/", {"city": city.pk, "year": "2019", "kind": "yearly"}, follow=True)
    assert any("洛阳市2019年没有可报送的数据" in m for m in messages_of(resp))
    assert not ProgressReport.objects.exists()
    resp = client.post("/reports/generate/", {"city": city.pk, "year": "二〇二五"}, follow=True)
    assert any("「年度」应为四位数字年份" in m for m in messages_of(resp))
    resp = client.post("/reports/generate/", {"city": city.pk, "year": "2025", "kind": "yearly", "progress": "按计划推进"}, follow=True)
    report = ProgressReport.objects.get()
    assert resp.redirect_chain[-1][0] == f"/reports/{report.pk}/"
    assert "已生成" in resp.content.decode() and report.progress == "按计划推进"


def test_downloads_carry_the_records_figures(client, two_cities, luoyang_admin):
    city = two_cities["luoyang"]
    report = services.generate(luoyang_admin, city, 2025)
    client.force_login(luoyang_admin)
    lines = FundingLine.objects.filter(project__city=city, year=2025)
    planned = sum(fl.planned for fl in lines)

    resp = client.get(f"/reports/{report.pk}/download/xlsx/")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.content))
    ws = wb["2025年资金计划与执行（万元）"]
    rows = {r[0]: r[1:] for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}
    assert Decimal(str(rows["合计"][0])) == planned == Decimal("57000")
    assert Decimal(str(rows["超长期特别国债"][0])) == sum(fl.planned for fl in lines if fl.channel == "treasury_bond")
    overview = {r[0]: r[1] for r in wb["项目总体情况"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert overview["项目总数（个，不含调出）"] == RenewalProject.objects.filter(city=city).exclude(status="removed").count()

    resp = client.get(f"/reports/{report.pk}/download/docx/")
    assert resp.status_code == 200
    doc = Document(io.BytesIO(resp.content))
    assert doc.paragraphs[0].text == "洛阳市2025年城市更新工作进展年度报告"
    cells = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    assert ["合计", "57000", "40500", "22200"] in cells  # planned / received / spent of 2025
    assert any(r[:3] == ["加装电梯", "部", "2"] for r in cells)
    assert client.get(f"/reports/{report.pk}/download/pdf/").status_code == 404


def test_other_city_cannot_see_the_report(client, two_cities, luoyang_admin, city_admin):
    report = services.generate(luoyang_admin, two_cities["luoyang"], 2025)
    client.force_login(city_admin)
    assert client.get(f"/reports/{report.pk}/").status_code == 404
    assert client.get(f"/reports/{report.pk}/download/xlsx/").status_code == 404
    assert client.post(f"/reports/{report.pk}/submit/").status_code == 404
    assert client.get("/api/reports/").json()["count"] == 0
    # one city only: no comparison
    resp = client.get("/reports/compare/")
    assert resp.status_code == 403 and "至少两个城市" in resp.content.decode()


def test_province_user_reviews_compares_and_exports(client, two_cities, luoyang_admin, province_user):
    ly = two_cities["luoyang"]
    report = services.generate(luoyang_admin, ly, 2025)
    services.submit(luoyang_admin, report)
    client.force_login(province_user)

    page = client.get(f"/reports/{report.pk}/").content.decode()
    assert 'data-testid="accept-report"' in page and 'data-testid="submit-report"' not in page
    resp = client.post(f"/reports/{report.pk}/return/", {"comment": ""}, follow=True)
    assert any("必须填写「审核意见」" in m for m in messages_of(resp))
    client.post(f"/reports/{report.pk}/return/", {"comment": "请补充问题"})
    report.refresh_from_db()
    assert report.state == "returned" and report.review_comment == "请补充问题"

    # the province user reads the other city's library and ledgers (a 只读用户 over 河南省)
    assert "洛阳市" in client.get("/projects/K202490001/").content.decode()
    assert "DEMO-LY-OC-001" in client.get("/ledgers/community/?q=DEMO-LY").content.decode()

    resp = client.get("/reports/compare/", {"year": 2025, "city": [two_cities["zhengzhou"].pk, ly.pk]})
    assert resp.status_code == 200
    rows = {r["label"]: r["values"] for r in resp.context["rows"]}
    assert rows["资金计划（万元）"][1] == "57000" and rows["口袋公园（个）"] == ["无此类记录", "无此类记录"]
    assert [f["city"] for f in resp.context["figures"]] == ["郑州市", "洛阳市"]
    resp = client.get("/reports/compare/", {"year": 2025, "city": [ly.pk, 99999]})
    assert "请至少选择两个城市" in resp.content.decode()

    resp = client.get("/reports/statistics/", {"start": 2024, "end": 2025, "export": "xlsx"})
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.content)).active
    header = [c.value for c in ws[1]]
    assert header[:4] == ["年度", "城市", "新开工改造城镇老旧小区项目（个）", "加装电梯（部）"]
    body = [r for r in ws.iter_rows(min_row=2, values_only=True) if isinstance(r[0], int)]
    expected = statistics([two_cities["zhengzhou"], ly], [2024, 2025])
    assert len(body) == len(expected) == 6
    for got, want in zip(body, expected):
        assert (got[0], got[1]) == (want["year"], want["city"])
        assert str(got[3]) == want["elevators_added"] and got[4] == "无此类记录"

    api = client.get("/api/reports-statistics/", {"start": 2025, "end": 2025}).json()
    assert [r["city"] for r in api["rows"]] == ["郑州市", "洛阳市", "合计"]
    assert client.get("/api/reports-statistics/", {"start": 2026, "end": 2020}).status_code == 400
    assert client.get("/api/reports/").json()["count"] == 1


def test_statistics_page_states_missing_record_types(client, two_cities, province_user):
    client.force_login(province_user)
    page = client.get("/reports/statistics/", {"start": 2025, "end": 2024}).content.decode()
    assert "晚于「截止年度」" in page and "暂无此类记录类型" in page


def test_list_filter_and_export(client, two_cities, luoyang_admin, province_user):
    ly = two_cities["luoyang"]
    services.generate(luoyang_admin, ly, 2024)
    services.generate(luoyang_admin, ly, 2025)
    client.force_login(province_user)
    page = client.get("/reports/", {"year": 2024}).content.decode()
    assert "洛阳市2024年城市更新工作进展年度报告" in page and "洛阳市2025年" not in page
    assert "生成进度报告" not in page  # the province reads, the city generates
    resp = client.get("/reports/", {"year": 2025, "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("标题", "城市", "年度") and [r[0] for r in rows[1:]] == ["洛阳市2025年城市更新工作进展年度报告"]
    assert len(rows[1][6]) == 16  # 生成时间 in Beijing time, "YYYY-MM-DD HH:MM"
    assert client.get("/api/reports/", {"year": 2024}).json()["count"] == 1


def test_statistics_command(two_cities, tmp_path, capsys):
    import json

    from django.core.management import CommandError, call_command

    out = tmp_path / "统计.xlsx"
    call_command("reports", "statistics", "--start", "2024", "--end", "2025", "--province", "河南省", "--format", "json",
                 "--output", str(out))
    data = json.loads(capsys.readouterr().out)
    assert data["cities"] == ["郑州市", "洛阳市"] and len(data["rows"]) == 6
    assert data["rows"] == statistics([two_cities["zhengzhou"], two_cities["luoyang"]], [2024, 2025])
    ws = load_workbook(out).active
    assert ws.cell(row=1, column=4).value == "加装电梯（部）" and ws.max_row >= 7
    call_command("reports", "statistics", "--start", "2025", "--end", "2025", "--city", "洛阳市")
    text = capsys.readouterr().out.splitlines()
    assert text[1].split("\t") == ["2025", "洛阳市", "1", "2", "无此类记录", "无此类记录", "6.35"]
    for args, message in [(("--start", "2025", "--end", "2024"), "晚于"), (("--start", "20x5", "--end", "2025"), "四位数字年份"),
                          (("--start", "2025", "--end", "2025", "--province", "火星省"), "找不到省份“火星省”"),
                          (("--start", "2025", "--end", "2025", "--province", "洛阳市"), "找不到省份")]:
        with pytest.raises(CommandError, match=message) as exc:
            call_command("reports", "statistics", *args)
        assert exc.value.returncode == 2

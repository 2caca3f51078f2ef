"""Pages of the performance app through the test client: region scope, the seal, Chinese refusals, nothing saved."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from cityrenew.core.models import AuditLog
from cityrenew.performance.choices import TableState
from cityrenew.performance.models import Evaluation, Indicator, Period, ResidentEvaluation, Result, TargetTable

from .support import filed_table, make_table, pdf, second_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def zz(regions):
    return regions["郑州市"]


def login(client, user):
    client.force_login(user)
    return client


def test_city_admin_builds_a_table_on_the_pages(client, city_admin, zz):
    login(client, city_admin)
    r = client.post("/funding/performance/new/", {"city": zz.pk, "kind": "annual", "year": 2025, "title": "", "note": "",
                                                  "row_version": ""})
    assert r.status_code == 302, r.content.decode()[:2000]
    table = TargetTable.objects.get()
    r = client.post(f"/funding/performance/{table.pk}/results/new/", {"title": "宜居环境明显改善", "description": "", "order": 1})
    assert r.status_code == 302
    result = Result.objects.get()
    r = client.post(f"/funding/performance/results/{result.pk}/indicators/new/",
                    {"name": "开工改造城镇老旧小区", "unit": "个", "direction": "increase", "order": 1, "note": "",
                     "baseline": "0", "target_2025": "150"})
    assert r.status_code == 302, r.content.decode()[:3000]
    period = Period.objects.get()
    assert (period.year, period.target, period.baseline) == (2025, Decimal("150"), Decimal("0"))
    page = client.get(table.get_absolute_url()).content.decode()
    assert "开工改造城镇老旧小区" in page and "盖章备案" in page
    r = client.post(f"/funding/performance/{table.pk}/file/", {"sealed_scan": pdf()})
    assert r.status_code == 302
    table.refresh_from_db()
    assert table.state == TableState.FILED and table.filed_by == city_admin
    r = client.post(f"/funding/performance/periods/{period.pk}/actual/", {"actual": "162", "actual_note": "统计年报"})
    assert r.status_code == 302
    assert Period.objects.get().actual == Decimal("162")
    assert AuditLog.for_object(table).filter(action="update").exists()


def test_negative_target_refused_in_chinese_nothing_saved(client, city_admin, zz):
    table = make_table(zz)
    result = table.results.get()
    login(client, city_admin)
    r = client.post(f"/funding/performance/results/{result.pk}/indicators/new/",
                    {"name": "新指标", "unit": "个", "direction": "increase", "order": 2, "baseline": "", "target_2025": "-5"})
    assert r.status_code == 400
    assert "不能为负数" in r.content.decode()
    assert not Indicator.objects.filter(name="新指标").exists()


def test_filing_without_scan_or_targets_is_refused(client, city_admin, zz):
    table = make_table(zz)
    Period.objects.update(target=None)
    login(client, city_admin)
    r = client.post(f"/funding/performance/{table.pk}/file/", {})
    assert r.status_code == 400
    page = r.content.decode()
    assert "请上传加盖城市人民政府公章的目标表扫描件" in page
    r = client.post(f"/funding/performance/{table.pk}/file/", {"sealed_scan": pdf()})
    assert r.status_code == 400 and "缺少 2025 年度的目标值" in r.content.decode()
    table.refresh_from_db()
    assert table.state == TableState.DRAFT


def test_a_filed_table_refuses_edits_on_the_pages(client, city_admin, zz):
    table = filed_table(zz)
    ind = table.indicators().get()
    login(client, city_admin)
    for url in (f"/funding/performance/{table.pk}/edit/", f"/funding/performance/indicators/{ind.pk}/edit/",
                f"/funding/performance/results/{ind.result_id}/edit/", f"/funding/performance/{table.pk}/delete/"):
        r = client.get(url)
        assert r.status_code == 403, url
        assert "盖章备案，目标内容不能再修改" in r.content.decode()
    r = client.post(f"/funding/performance/indicators/{ind.pk}/edit/",
                    {"name": "改", "unit": "个", "direction": "increase", "order": 0, "target_2025": "1"})
    assert r.status_code == 403
    assert Indicator.objects.get(pk=ind.pk).name == "改造老旧小区"


def test_negative_actual_refused(client, city_admin, zz):
    table = filed_table(zz)
    period = Period.objects.get(indicator__result__table=table)
    login(client, city_admin)
    r = client.post(f"/funding/performance/periods/{period.pk}/actual/", {"actual": "-3"})
    assert r.status_code == 400 and "不能为负数" in r.content.decode()
    assert Period.objects.get(pk=period.pk).actual is None


def test_district_editor_reads_but_cannot_write_city_tables(client, zhongyuan_editor, zz):
    table = filed_table(zz)
    period = Period.objects.get(indicator__result__table=table)
    login(client, zhongyuan_editor)
    assert client.get(table.get_absolute_url()).status_code == 200
    assert client.get("/funding/performance/").content.decode().count(f'data-pk="{table.pk}"') == 1
    r = client.post(f"/funding/performance/periods/{period.pk}/actual/", {"actual": "3"})
    assert r.status_code == 403 and "超出您的授权区划范围" in r.content.decode()
    assert client.get("/funding/performance/new/").status_code == 403


def test_another_citys_user_cannot_read(client, make_user, regions, zz):
    kf = second_city(regions)
    other = make_user("kfadmin", "city_admin", kf.code)
    table = filed_table(zz)
    login(client, other)
    assert client.get(table.get_absolute_url()).status_code == 403
    assert f'data-pk="{table.pk}"' not in client.get("/funding/performance/").content.decode()
    assert client.get(f"/funding/performance/{table.pk}/export/").status_code == 403


def test_province_viewer_reads_every_city(client, make_user, regions, zz):
    kf = second_city(regions)
    a, b = filed_table(zz), filed_table(kf)
    province = make_user("shengting", "viewer", zz.parent.code)
    login(client, province)
    page = client.get("/funding/performance/").content.decode()
    assert f'data-pk="{a.pk}"' in page and f'data-pk="{b.pk}"' in page
    assert client.get(f"/funding/performance/{a.pk}/file/").status_code == 405  # POST only
    r = client.post(f"/funding/performance/{a.pk}/file/", {"sealed_scan": pdf()})
    assert r.status_code == 403


def test_export_has_every_period(client, city_admin, zz):
    from cityrenew.performance import services

    table = filed_table(zz, kind="overall", indicators=(("管网", "公里", "increase", "10"), ("投诉", "件", "decrease", "5")))
    p = Period.objects.get(indicator__name="投诉", year=2025)
    services.record_actual(p, Decimal("4"), "", None)
    login(client, city_admin)
    r = client.get(f"/funding/performance/{table.pk}/export/")
    assert r.status_code == 200
    ws = load_workbook(BytesIO(r.content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5)]
    assert len(rows) == 6  # 2 indicators × 3 years
    complaint_2025 = next(r for r in rows if r[2] == "投诉" and r[5] == 2025)
    assert complaint_2025[8] == 4 and complaint_2025[9] == "是"
    assert ws.cell(4, 1).value == "序号" and "已盖章备案" in ws.cell(2, 1).value


def test_evaluation_score_out_of_range_refused(client, city_admin, zz):
    login(client, city_admin)
    base = {"city": zz.pk, "year": 2025, "evaluator": "财政部", "grade": "", "conclusion": "完成", "evaluated_on": ""}
    for bad in ("100.01", "-1"):
        r = client.post("/funding/performance/evaluations/new/", base | {"score": bad})
        assert r.status_code == 400 and "得分应在 0–100 之间" in r.content.decode()
    assert not Evaluation.objects.exists()
    for good in ("100", "0"):
        Evaluation.objects.all().delete()
        r = client.post("/funding/performance/evaluations/new/", base | {"score": good})
        assert r.status_code == 302
    ev = Evaluation.objects.get()
    r = client.post(ev.get_absolute_url(), {"file": pdf("评价报告.pdf"), "description": "评价报告"})
    assert r.status_code == 302 and ev.files.get().description == "评价报告"
    r = client.post("/funding/performance/evaluations/new/", base | {"score": "90"})
    assert r.status_code == 400  # one evaluation per city and year


def test_resident_evaluation_counts_checked(client, zhongyuan_editor, regions):
    from cityrenew.ledgers.models import OldCommunity

    zy = regions["中原区"]
    c = OldCommunity(code="LJ-ZY-1", name="建设路小区", region=zy, built_year=1995)
    c.save()
    login(client, zhongyuan_editor)
    base = {"region": zy.pk, "community": c.pk, "project": "", "year": 2025, "held_on": "2025-11-10", "respondents": 100,
            "satisfied": 80, "basically_satisfied": 15, "dissatisfied": 6, "comments": "", "response": ""}
    r = client.post("/funding/performance/residents/new/", base)
    assert r.status_code == 400 and "合计 101 户，超过参评居民 100 户" in r.content.decode()
    assert not ResidentEvaluation.objects.exists()
    r = client.post("/funding/performance/residents/new/", base | {"dissatisfied": 5})
    assert r.status_code == 302
    ev = ResidentEvaluation.objects.get()
    assert ev.satisfaction_rate == Decimal("95.0")
    assert "95.0%" in client.get(ev.get_absolute_url()).content.decode()
    eq = regions["二七区"]
    r = client.post("/funding/performance/residents/new/", base | {"region": eq.pk, "dissatisfied": 5})
    assert r.status_code == 400 and "不在您的授权区划范围内" in r.content.decode()


def test_release_check_page(client, city_admin, zz):
    login(client, city_admin)
    page = client.get(f"/funding/performance/release/?city={zz.pk}&year=2025").content.decode()
    assert "2025 年度绩效目标表尚未盖章备案" in page
    filed_table(zz)
    page = client.get(f"/funding/performance/release/?city={zz.pk}&year=2025").content.decode()
    assert 'data-testid="release-ok"' in page


def test_files_served_only_to_readers(client, city_admin, make_user, regions, zz, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    table = filed_table(zz)
    url = "/media/" + table.sealed_scan.name
    login(client, city_admin)
    r = client.get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content if r.streaming else [r.content]).startswith(b"%PDF")
    kf = second_city(regions)
    client.force_login(make_user("kfadmin", "city_admin", kf.code))
    assert client.get(url).status_code == 403
    client.force_login(make_user("shengting", "viewer", zz.parent.code))
    assert client.get(url).status_code == 200


def test_inbox_lists_tables_to_file_and_actuals_to_record(client, city_admin, zhongyuan_editor, zz):
    from cityrenew.core.inbox import items_for
    from cityrenew.performance import services

    draft = make_table(zz, year=2030)
    filed = filed_table(zz, year=2024)
    todo = [i.title for i in items_for(city_admin)["to_fill"]]
    assert f"编制并盖章备案：{draft}" in todo and f"填报实际值：{filed}" in todo
    assert not [i for i in items_for(zhongyuan_editor)["to_fill"] if "绩效目标表" in i.title]
    services.record_actual(Period.objects.get(indicator__result__table=filed), Decimal("1"), "", None)
    assert f"填报实际值：{filed}" not in [i.title for i in items_for(city_admin)["to_fill"]]


def test_history_readable_by_the_same_readers(make_user, regions, zz, city_admin):
    from cityrenew.core.permissions import visible_history

    table = filed_table(zz)
    period = Period.objects.get(indicator__result__table=table)
    from cityrenew.performance import services

    services.record_actual(period, Decimal("3"), "", city_admin)
    province = make_user("shengting", "viewer", zz.parent.code)
    other = make_user("kfadmin", "city_admin", second_city(regions).code)
    for obj in (table, period):
        assert visible_history(province, obj).exists()
        assert not visible_history(other, obj).exists()
    assert visible_history(city_admin, period).filter(action="update").exists()


def test_evaluation_file_must_be_what_it_says(client, city_admin, zz):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ev = Evaluation(city=zz, year=2025, evaluator="财政部", conclusion="完成")
    ev.save()
    login(client, city_admin)
    bad = SimpleUploadedFile("评价报告.pdf", b"<html><script>x</script></html>")
    r = client.post(ev.get_absolute_url(), {"file": bad, "description": "报告"})
    assert r.status_code == 400 and "内容是HTML 网页" in r.content.decode()
    assert not ev.files.exists()


def test_lists_render_and_export(client, viewer, zz):
    table = filed_table(zz)
    Evaluation(city=zz, year=2025, evaluator="财政部", score=Decimal("90"), conclusion="完成").save()
    login(client, viewer)
    for url, text in (("/funding/performance/", str(table)), ("/funding/performance/evaluations/", "2025年度绩效评价"),
                      ("/funding/performance/residents/", "效果共评")):
        r = client.get(url)
        assert r.status_code == 200 and text in r.content.decode(), url
    assert client.get(Evaluation.objects.get().get_absolute_url()).status_code == 200
    r = client.get("/funding/performance/?export=xlsx")
    ws = load_workbook(BytesIO(r.content)).active
    assert [c.value for c in ws[1]][:3] == ["绩效目标表", "城市", "类型"]
    assert ws.cell(2, 1).value == str(table) and ws.cell(2, 6).value == "已盖章备案"

"""Project library pages through the Django test client, against the real Zhengzhou library.

The library is loaded the way the demo loads it (initial state + 郑建文〔2025〕45号). Expected
numbers come from the printed tables (spec/annexes-and-news.md §3) or are recomputed here from the
shared CSV with Decimal — never from the code under test.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from cityrenew.core.models import AuditLog, Region
from cityrenew.projects.models import AdjustmentBatch, ProjectFunding, RenewalProject

pytestmark = pytest.mark.django_db

ZHONGYUAN_CODE = "K202201005"  # 芝麻街1958双创园, 中原区, 50 亿元
ERQI_CODE = "K202202001"  # 二七南部城区项目, 二七区, 248.79 亿元
MULTI_CODE = "K202201001"  # 金水河“一河两岸”项目, 中原区/二七区/金水区, 388 亿元


@pytest.fixture
def library(regions):
    from cityrenew.projects import demo

    demo.load()
    assert RenewalProject.objects.count() == 276
    return regions


@pytest.fixture
def csv_rows(reference_data):
    with open(reference_data / "zhengzhou_projects.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def login(client, user) -> None:
    assert client.login(username=user.username, password="pass-" + user.username)


def codes_in(html: str) -> list[str]:
    """Project codes of the list table, in page order."""
    return re.findall(r'<tr data-code="(K\d{9})"', html)


def form_data(project: RenewalProject, **changes) -> dict:
    data = {
        "name": project.name,
        "districts": [str(d.pk) for d in project.districts.all()] if project.pk else [],
        "region_group": str(project.region_group_id or ""),
        "total_investment": str(project.total_investment),
        "category": project.category,
        "status": project.status,
        "implementing_entity": "",
        "start_year": "",
        "end_year": "",
        "batch": str(project.batch_id or ""),
        "seq": str(project.seq or ""),
        "description": project.description,
        "fundings-TOTAL_FORMS": "0",
        "fundings-INITIAL_FORMS": "0",
        "fundings-MIN_NUM_FORMS": "0",
        "fundings-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


# --- list ----------------------------------------------------------------------------------------


def test_list_paginates_50_per_page_with_totals(client, library, viewer):
    login(client, viewer)
    r = client.get("/projects/")
    assert r.status_code == 200
    html = r.content.decode()
    assert len(codes_in(html)) == 50
    assert "共 276 个项目" in html
    assert 'data-testid="list-total">7,895.45<' in html
    last = client.get("/projects/?page=6").content.decode()
    assert len(codes_in(last)) == 276 - 5 * 50


def test_list_filters_by_district_including_cross_district_project(client, library, viewer):
    login(client, viewer)
    zhongyuan = Region.objects.get(code="410102")
    html = client.get(f"/projects/?district={zhongyuan.pk}").content.decode()
    codes = codes_in(html)
    # 25 projects of 中原区 (printed subtotal count) + the cross-district 金水河 project
    assert len(codes) == 26
    assert MULTI_CODE in codes and ZHONGYUAN_CODE in codes and ERQI_CODE not in codes


def test_list_filters_by_investment_range_and_search(client, library, viewer, csv_rows):
    login(client, viewer)
    expected = {r["code"] for r in csv_rows if Decimal("100") <= Decimal(r["total_investment_yi"]) <= Decimal("300")}
    html = client.get("/projects/?investment_min=100&investment_max=300").content.decode()
    assert set(codes_in(html)) == expected and len(expected) > 5
    html = client.get("/projects/?q=金水河").content.decode()
    expected = [r["code"] for r in csv_rows if "金水河" in r["name"]]
    assert codes_in(html) == expected and MULTI_CODE in expected


def test_list_filters_by_group_and_batch(client, library, viewer):
    login(client, viewer)
    from cityrenew.core.models import RegionGroup

    group = RegionGroup.objects.get(name="各开发区")
    html = client.get(f"/projects/?region_group={group.pk}").content.decode()
    assert "共 51 个项目" in html  # printed: 经开区 9 + 高新区 20 + 郑东新区 22
    batch = AdjustmentBatch.objects.get(doc_number="郑建文〔2025〕45号")
    html = client.get(f"/projects/?batch={batch.pk}").content.decode()
    assert "共 23 个项目" in html
    assert 'data-testid="list-total">88.41<' in html  # 88.4079 亿元


def test_list_sorting_by_investment_both_ways(client, library, viewer, csv_rows):
    login(client, viewer)
    by_value = sorted(csv_rows, key=lambda r: Decimal(r["total_investment_yi"]))
    html = client.get("/projects/?ordering=-total_investment").content.decode()
    codes = codes_in(html)
    assert codes[:2] == ["K202307002", MULTI_CODE]  # 457.47, 388 (spec §3.3 top 5)
    assert codes[:5] == [r["code"] for r in reversed(by_value[-5:])]
    # the header link flips the direction
    assert "ordering=total_investment" in html and "▼" in html
    html = client.get("/projects/?ordering=total_investment").content.decode()
    assert codes_in(html)[0] == by_value[0]["code"]  # 0.0508 亿元 (row 268)


def test_htmx_request_gets_only_the_table(client, library, viewer):
    login(client, viewer)
    r = client.get("/projects/?q=芝麻街", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="project-table")
    html = r.content.decode()
    assert "<html" not in html and 'id="project-table"' in html
    assert codes_in(html) == [ZHONGYUAN_CODE]
    # the current sort order travels with the swapped table, so the filter form keeps it
    html = client.get("/projects/?ordering=-total_investment", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="project-table").content.decode()
    assert '<input type="hidden" name="ordering" value="-total_investment" form="project-filters">' in html


def test_edit_buttons_only_on_editable_projects(client, library, zhongyuan_editor, viewer):
    login(client, zhongyuan_editor)
    zid = Region.objects.get(code="410102").pk
    html = client.get(f"/projects/?district={zid}").content.decode()
    assert f'data-testid="edit-{ZHONGYUAN_CODE}"' in html
    assert f'data-testid="edit-{MULTI_CODE}"' not in html  # spans 二七区 and 金水区 too
    html = client.get("/projects/?q=二七南部").content.decode()
    assert codes_in(html) == [ERQI_CODE] and f'data-testid="edit-{ERQI_CODE}"' not in html
    client.logout()
    login(client, viewer)
    assert 'data-testid="edit-' not in client.get("/projects/").content.decode()


# --- detail, edit, history -------------------------------------------------------------------------


def test_detail_shows_fields_citation_and_history(client, library, viewer):
    login(client, viewer)
    html = client.get(f"/projects/{MULTI_CODE}/").content.decode()
    assert "金水河“一河两岸”项目" in html
    assert "388 亿元" in html
    assert "跨区域项目" in html and "中原区" in html and "金水区" in html
    assert "关于持续推进城市更新行动的意见" in html  # category citation
    assert "变更记录" in html and "新增" in html  # creation by the import is in the history
    assert 'data-testid="edit-button"' not in html
    assert client.get("/projects/K209901001/").status_code == 404


def test_district_editor_edits_own_project_and_it_is_audited(client, library, zhongyuan_editor):
    login(client, zhongyuan_editor)
    project = RenewalProject.objects.get(code=ZHONGYUAN_CODE)
    assert client.get(f"/projects/{ZHONGYUAN_CODE}/edit/").status_code == 200
    data = form_data(
        project,
        name="芝麻街1958双创园（二期）",
        total_investment="52.5",
        start_year="2022",
        end_year="2026",
        **{
            "fundings-TOTAL_FORMS": "1",
            "fundings-0-source": "special_bond",
            "fundings-0-amount": "12.5",
            "fundings-0-note": "2025年专项债",
        },
    )
    r = client.post(f"/projects/{ZHONGYUAN_CODE}/edit/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    project.refresh_from_db()
    assert project.name == "芝麻街1958双创园（二期）"
    assert project.total_investment == Decimal("52.5")
    assert (project.start_year, project.end_year) == (2022, 2026)
    funding = ProjectFunding.objects.get(project=project)
    assert funding.amount == Decimal("12.5") and funding.source == "special_bond"

    entry = AuditLog.for_object(project).filter(action="update").first()
    assert entry.user == zhongyuan_editor and entry.source == "web"
    assert entry.changes["name"] == ["芝麻街1958双创园", "芝麻街1958双创园（二期）"]
    assert entry.changes["total_investment"] == ["50", "52.5"]
    assert AuditLog.for_object(funding).get().user == zhongyuan_editor

    html = client.get(f"/projects/{ZHONGYUAN_CODE}/").content.decode()
    assert zhongyuan_editor.username in html and "芝麻街1958双创园（二期）" in html
    assert "地方政府专项债券" in html  # the funding table


def test_summary_follows_an_edit(client, library, zhongyuan_editor):
    login(client, zhongyuan_editor)
    project = RenewalProject.objects.get(code=ZHONGYUAN_CODE)
    r = client.post(f"/projects/{ZHONGYUAN_CODE}/edit/", form_data(project, total_investment="60"))
    assert r.status_code == 302
    html = client.get("/projects/summary/").content.decode()
    # 中原区 947.991028 + 10 → 957.99; 市内五区 4748.341528 + 10 → 4758.34; total 7905.45
    assert 'data-district="中原区"><td>中原区</td><td class="num">957.99</td><td class="num">25</td>' in html
    assert 'data-testid="grand-total">7905.45<' in html


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"total_investment": "-1"}, "total_investment", "项目总投资不能为负数"),
        ({"total_investment": "abc"}, "total_investment", "项目总投资必须是数字"),
        ({"start_year": "2025", "end_year": "2023"}, "end_year", "完工年份（2023）不能早于开工年份（2025）"),
        ({"name": "   "}, "name", "项目名称"),
        ({"districts": []}, "districts", "请至少选择一个所在区域"),
    ],
)
def test_edit_validation_messages_in_chinese_and_nothing_saved(client, library, zhongyuan_editor, changes, field, message):
    login(client, zhongyuan_editor)
    project = RenewalProject.objects.get(code=ZHONGYUAN_CODE)
    before = AuditLog.objects.count()
    r = client.post(f"/projects/{ZHONGYUAN_CODE}/edit/", form_data(project, **changes))
    assert r.status_code == 400
    html = r.content.decode()
    block = re.search(rf'<ul class="errorlist" data-field="{field}">(.*?)</ul>', html, re.S)
    assert block and message in block.group(1), html[:3000]
    project.refresh_from_db()
    assert project.name == "芝麻街1958双创园" and project.total_investment == Decimal("50")
    assert AuditLog.objects.count() == before


def test_edit_cannot_move_project_out_of_scope(client, library, zhongyuan_editor):
    login(client, zhongyuan_editor)
    project = RenewalProject.objects.get(code=ZHONGYUAN_CODE)
    erqi = Region.objects.get(code="410103")
    r = client.post(f"/projects/{ZHONGYUAN_CODE}/edit/", form_data(project, districts=[str(erqi.pk)]))
    assert r.status_code == 400
    assert "您无权在所选区域（二七区）登记或修改项目" in r.content.decode()
    assert list(project.districts.values_list("code", flat=True)) == ["410102"]


def test_create_project_with_validation(client, library, zhongyuan_editor):
    login(client, zhongyuan_editor)
    zhongyuan = Region.objects.get(code="410102")
    base = form_data(RenewalProject(name="", total_investment=Decimal("3.2"), category="old_community", status="reserve"))
    base.update(districts=[str(zhongyuan.pk)], name="中原区测试老旧小区改造项目", batch="", seq="")
    r = client.post("/projects/new/", {**base, "code": "K2025-1"})
    assert r.status_code == 400 and "项目编号格式不正确" in r.content.decode()
    r = client.post("/projects/new/", {**base, "code": ZHONGYUAN_CODE})
    assert r.status_code == 400 and "项目编号已存在" in r.content.decode()
    assert RenewalProject.objects.count() == 276
    r = client.post("/projects/new/", {**base, "code": "K202599001"})
    assert r.status_code == 302
    p = RenewalProject.objects.get(code="K202599001")
    assert p.city.code == "410100" and p.region_group.name == "市内五区"  # derived from the district
    assert AuditLog.for_object(p).get(action="create").user == zhongyuan_editor


# --- permissions: every write view ------------------------------------------------------------------


def test_district_editor_gets_403_on_every_write_view_of_another_district(client, library, zhongyuan_editor):
    login(client, zhongyuan_editor)
    erqi_project = RenewalProject.objects.get(code=ERQI_CODE)
    before = AuditLog.objects.count()
    for code in (ERQI_CODE, MULTI_CODE):
        project = RenewalProject.objects.get(code=code)
        for method, url, data in [
            ("get", f"/projects/{code}/edit/", None),
            ("post", f"/projects/{code}/edit/", form_data(project, name="被篡改")),
            ("get", f"/projects/{code}/delete/", None),
            ("post", f"/projects/{code}/delete/", {}),
        ]:
            r = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
            assert r.status_code == 403, (method, url)
            html = r.content.decode()
            assert f"无权修改项目 {code}" in html and "无权访问（403）" in html
    # create in another district: the form refuses it
    erqi = Region.objects.get(code="410103")
    data = form_data(RenewalProject(name="x", total_investment=Decimal(1), category="old_community", status="reserve"))
    data.update(code="K202599002", name="二七区越权新建", districts=[str(erqi.pk)], batch="", seq="")
    r = client.post("/projects/new/", data)
    assert r.status_code == 400 and "您无权在所选区域（二七区）" in r.content.decode()
    assert not RenewalProject.objects.filter(code="K202599002").exists()
    erqi_project.refresh_from_db()
    assert erqi_project.name == "二七南部城区项目"
    assert RenewalProject.objects.filter(code=MULTI_CODE).exists()
    assert AuditLog.objects.count() == before


def test_viewer_cannot_open_any_write_view(client, library, viewer):
    login(client, viewer)
    for url in ["/projects/new/", "/projects/import/", f"/projects/{ZHONGYUAN_CODE}/edit/", f"/projects/{ZHONGYUAN_CODE}/delete/"]:
        r = client.get(url)
        assert r.status_code == 403, url
        assert "无权" in r.content.decode()
    assert client.post(f"/projects/{ZHONGYUAN_CODE}/delete/").status_code == 403
    assert RenewalProject.objects.filter(code=ZHONGYUAN_CODE).exists()


def test_anonymous_is_sent_to_login(client, library):
    r = client.get("/projects/")
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_delete_own_project_is_audited(client, library, zhongyuan_editor):
    login(client, zhongyuan_editor)
    project = RenewalProject.objects.get(code=ZHONGYUAN_CODE)
    pk = project.pk
    assert client.get(f"/projects/{ZHONGYUAN_CODE}/delete/").status_code == 200
    r = client.post(f"/projects/{ZHONGYUAN_CODE}/delete/")
    assert r.status_code == 302
    assert not RenewalProject.objects.filter(code=ZHONGYUAN_CODE).exists()
    entry = AuditLog.objects.get(object_id=str(pk), action="delete", content_type__model="renewalproject")
    assert entry.user == zhongyuan_editor and entry.changes["name"][0] == "芝麻街1958双创园"


# --- import ------------------------------------------------------------------------------------------


def _upload(name: str, text: str, encoding="utf-8"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def test_import_dry_run_reports_errors_row_by_row_and_writes_nothing(client, library, city_admin):
    login(client, city_admin)
    text = (
        "seq,code,name,total_investment_yi,district,region_group\n"
        "1,K2025030X1,坏编号项目,1,中原区,市内五区\n"
        "2,K202599101,负投资项目,-3,中原区,市内五区\n"
        "3,K202599102,未知区域项目,2,火星区,市内五区\n"
        "4,K202599103,正常项目,2,二七区,市内五区\n"
    )
    projects, logs = RenewalProject.objects.count(), AuditLog.objects.count()
    r = client.post("/projects/import/", {"file": _upload("bad.csv", text), "batch_no": "", "batch_type": "add"})
    assert r.status_code == 400
    html = r.content.decode()
    table = re.search(r'data-testid="import-errors">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td>(.*?)</td><td class="error">(.*?)</td></tr>', table)
    by_row = {int(n): (field, msg) for n, field, msg in rows}
    assert by_row[2][0] == "项目编号" and "格式" in by_row[2][1]
    assert by_row[3][0] == "项目总投资（亿元）" and "负" in by_row[3][1]
    assert by_row[4][0] == "区域" and "火星区" in by_row[4][1]
    assert 5 not in by_row
    assert 'data-testid="confirm-import"' not in html
    assert RenewalProject.objects.count() == projects and AuditLog.objects.count() == logs


def test_import_dry_run_then_confirm_commits_as_a_batch(client, library, city_admin):
    login(client, city_admin)
    text = (
        "seq,code,name,total_investment_yi,district,region_group\n"
        "1,K202599201,中原区测试项目甲,1.25,中原区,市内五区\n"
        "2,K202599202,二七区测试项目乙,2.5,二七区,市内五区\n"
    )
    r = client.post("/projects/import/", {"file": _upload("new.csv", text, "gbk"), "batch_no": "郑建文〔2026〕1号",
                                           "batch_type": "add"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "试运行通过" in html and "新增 2 个" in html
    assert not RenewalProject.objects.filter(code__startswith="K2025992").exists()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    r = client.post("/projects/import/", {"confirm": "1", "token": token, "batch_no": "郑建文〔2026〕1号",
                                           "batch_type": "add", "filename": "new.csv"})
    assert r.status_code == 200 and 'data-testid="import-committed"' in r.content.decode()
    batch = AdjustmentBatch.objects.get(doc_number="郑建文〔2026〕1号")
    assert set(batch.added_projects.values_list("code", flat=True)) == {"K202599201", "K202599202"}
    p = RenewalProject.objects.get(code="K202599201")
    assert AuditLog.for_object(p).get(action="create").user == city_admin
    # the token cannot be replayed
    r = client.post("/projects/import/", {"confirm": "1", "token": token}, follow=True)
    assert "导入文件已失效" in r.content.decode()
    # a path in the token is refused
    r = client.post("/projects/import/", {"confirm": "1", "token": "../../db.sqlite3"}, follow=True)
    assert "导入文件已失效" in r.content.decode()


def test_import_rejects_other_file_types(client, library, city_admin):
    login(client, city_admin)
    r = client.post("/projects/import/", {"file": _upload("x.pdf", "%PDF"), "batch_type": "add"})
    assert r.status_code == 400 and "不支持的文件类型" in r.content.decode()


# --- exports -----------------------------------------------------------------------------------------


def _sheet(resp):
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return load_workbook(io.BytesIO(resp.content)).active


def test_export_of_filtered_list_is_a_real_xlsx_with_right_totals(client, library, viewer, csv_rows):
    login(client, viewer)
    erqi = Region.objects.get(code="410103")
    ws = _sheet(client.get(f"/projects/export.xlsx?district={erqi.pk}"))
    header = [c.value for c in ws[1]]
    assert header[1] == "项目编号" and "项目总投资" in header[3]
    body = [row for row in ws.iter_rows(min_row=2, values_only=True) if row[1]]
    expected = [r for r in csv_rows if "二七区" in r["district"].split("/")]
    assert {row[1] for row in body} == {r["code"] for r in expected}
    assert len(body) == 21  # 20 printed for 二七区 + the cross-district row 1
    total = sum(Decimal(str(row[3])) for row in body)
    assert total == sum(Decimal(r["total_investment_yi"]) for r in expected) == Decimal("990.553")


def test_summary_exports_have_printed_totals(client, library, viewer):
    login(client, viewer)
    ws = _sheet(client.get("/projects/summary/export.xlsx?kind=summary"))
    values = {(row[0], row[1]): row for row in ws.iter_rows(min_row=2, values_only=True)}
    assert Decimal(str(values[("合计", None)][3])).quantize(Decimal("0.01")) == Decimal("7895.45")
    assert values[("合计", None)][2] == 276
    assert Decimal(str(values[("市内五区", "中原区")][3])).quantize(Decimal("0.01")) == Decimal("947.99")
    ws = _sheet(client.get("/projects/summary/export.xlsx?kind=library"))
    texts = [str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert any("7895.45" in t for t in texts) and "K202201001" in texts
    assert isinstance(load_workbook(io.BytesIO(client.get("/projects/summary/export.xlsx").content)), Workbook)


# --- summary, batches, dashboard -------------------------------------------------------------------


def test_summary_page_prints_every_official_figure(client, library, viewer):
    login(client, viewer)
    html = client.get("/projects/summary/").content.decode()
    assert 'data-testid="grand-total">7895.45<' in html
    for name, total in [("市内五区", "4748.34"), ("各开发区", "1636.54"), ("各区县（市）", "1510.57")]:
        assert re.search(rf'data-group="{re.escape(name)}">.*?<td class="num">{total}</td>', html)
    for name, total, n in [("中原区", "947.99", 25), ("新密市", "137.30", 19), ("中牟县", "359.40", 13)]:
        assert f'data-district="{name}"><td>{name}</td><td class="num">{total}</td><td class="num">{n}</td>' in html
    assert "中原区、二七区、金水区（跨区域）" in html and "388.00" in html
    assert 'class="project-row"' not in html  # 汇总 mode
    assert 'id="chart-data"' in html and "echarts.min.js" in html
    detail = client.get("/projects/summary/?mode=detail").content.decode()
    assert detail.count('class="project-row"') == 276
    assert '<tr class="project-row" data-code="K202411001"' in detail and "1.107528" in detail  # 6 decimals kept


def test_summary_as_of_a_batch_shows_the_library_then(client, library, viewer):
    login(client, viewer)
    initial = AdjustmentBatch.objects.get(batch_type="initial")
    html = client.get(f"/projects/summary/?as_of={initial.pk}").content.decode()
    # before 郑建文〔2025〕45号: 276 − 23 projects, 7895.449028 − 88.4079 = 7807.041128 亿元
    assert 'data-testid="summary-count">253<' in html
    assert 'data-testid="grand-total">7807.04<' in html
    assert client.get("/projects/summary/?as_of=99999").status_code == 404


def test_batch_pages(client, library, viewer):
    login(client, viewer)
    batch = AdjustmentBatch.objects.get(doc_number="郑建文〔2025〕45号")
    html = client.get("/projects/batches/").content.decode()
    assert "郑建文〔2025〕45号" in html and "88.4079" in html
    html = client.get(f"/projects/batches/{batch.pk}/").content.decode()
    assert 'data-testid="batch-total">88.4079<' in html
    table = re.search(r'data-testid="batch-projects">(.*?)</table>', html, re.S).group(1)
    assert table.count('<tr><td><a href="/projects/K2025') == 23
    assert "共 276 个项目，总投资 7895.45 亿元" in html  # the library right after this batch


def test_home_card(client, library, viewer):
    login(client, viewer)
    html = client.get("/").content.decode()
    assert "城市更新项目库" in html and "276 个 / 7895.45 亿元" in html

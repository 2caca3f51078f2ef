"""What a new user tripped on in the project library: the import template, category aliases, each
error listed once, an empty region tree, paginated batch pages and filters that read 全部.

Real xlsx files (openpyxl) and CSV text through the real importer, pages and commands.
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook, load_workbook

from cityrenew.core.models import Region
from cityrenew.projects.choices import CATEGORY_ALIASES, ProjectCategory
from cityrenew.projects.importer import COLUMNS, HEADER_INDEX, _norm_header, import_projects
from cityrenew.projects.models import AdjustmentBatch, RenewalProject

pytestmark = pytest.mark.django_db

HEAD = "序号,项目编号,项目名称,项目总投资（亿元）,区域,更新类型\n"


def _csv(text: str, name: str = "p.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


# --- the template ---------------------------------------------------------------------------------


def test_template_has_the_importers_columns_an_example_and_notes(client, city_admin):
    client.force_login(city_admin)
    page = client.get("/projects/import/").content.decode()
    assert 'href="/projects/import/template.xlsx"' in page and "下载导入模板" in page
    resp = client.get("/projects/import/template.xlsx")
    assert resp.status_code == 200 and "attachment" in resp["Content-Disposition"]
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["项目", "填写说明"]
    ws = wb["项目"]
    headers = [c.value for c in ws[1]]
    # every header is a name the importer reads, for a distinct column, and every column is there
    assert [HEADER_INDEX[_norm_header(h)] for h in headers] == list(COLUMNS)
    example = dict(zip(headers, (c.value for c in ws[2])))
    assert example["项目编号"] == "K202501001" and example["区域"] == "中原区"
    notes = {r[0]: r for r in wb["填写说明"].iter_rows(min_row=2, values_only=True)}
    assert set(headers) <= set(notes)
    assert notes["项目编号"][1] == "必填" and notes["片区分组"][1] == "选填"
    assert "老旧小区改造（城镇老旧小区改造）" in notes["更新类型"][2]
    assert "试运行" in notes["导入规则"][2]

    # the file as downloaded imports (dry run): one new 城镇老旧小区改造 project in 中原区
    report = import_projects(io.BytesIO(resp.content), user=city_admin, dry_run=True)
    assert report.ok, report.summary_text()
    assert report.created == 1
    report = import_projects(io.BytesIO(resp.content), user=city_admin)
    p = RenewalProject.objects.get(code="K202501001")
    assert p.category == ProjectCategory.OLD_COMMUNITY and p.total_investment == Decimal("1.25")
    assert [d.display_name for d in p.districts.all()] == ["中原区"]


# --- category aliases -----------------------------------------------------------------------------


def test_common_category_names_are_accepted(city_admin, regions):
    text = HEAD + (
        "1,K202599301,甲小区,1,中原区,老旧小区改造\n"
        "2,K202599302,乙村,1,中原区,城中村\n"
        "3,K202599303,丙站,1,二七区,老旧火车站\n"
        "4,K202599304,丁河,1,二七区,城市生态系统修复\n"  # the label itself
        "5,K202599305,戊路,1,二七区,infrastructure\n"  # and the value
    )
    report = import_projects(_csv(text), user=city_admin)
    assert report.ok, report.summary_text()
    got = dict(RenewalProject.objects.filter(code__startswith="K2025993").values_list("code", "category"))
    assert got == {
        "K202599301": ProjectCategory.OLD_COMMUNITY, "K202599302": ProjectCategory.URBAN_VILLAGE,
        "K202599303": ProjectCategory.OLD_STATION, "K202599304": ProjectCategory.ECOLOGY,
        "K202599305": ProjectCategory.INFRASTRUCTURE,
    }


def test_an_unknown_category_is_still_refused(city_admin, regions):
    report = import_projects(_csv(HEAD + "1,K202599311,甲,1,中原区,老小区\n"), user=city_admin)
    assert [(e.row, e.field) for e in report.errors] == [(2, "更新类型")]
    assert "未知取值“老小区”" in report.errors[0].message
    assert not RenewalProject.objects.filter(code="K202599311").exists()


def test_every_alias_names_a_category_and_none_shadows_a_label():
    labels = set(ProjectCategory.labels)
    assert set(CATEGORY_ALIASES.values()) <= set(ProjectCategory.values)
    assert not labels & set(CATEGORY_ALIASES)
    assert CATEGORY_ALIASES["老旧小区改造"] == ProjectCategory.OLD_COMMUNITY


# --- each error once ------------------------------------------------------------------------------


BAD = HEAD + (
    "1,K202599401,重复未知区域,1,火星区/火星区,\n"
    "2,K2025994X2,坏编号,1,中原区,\n"
)


def test_the_same_error_is_reported_once(city_admin, regions):
    report = import_projects(_csv(BAD), user=city_admin, dry_run=True)
    texts = [str(e) for e in report.errors]
    assert len(texts) == len(set(texts)) == 2
    assert sum("火星区" in t for t in texts) == 1


def test_the_import_page_lists_each_error_once(client, city_admin, regions):
    client.force_login(city_admin)
    r = client.post("/projects/import/", {"file": _csv(BAD, "bad.csv"), "batch_no": "", "batch_type": "add"})
    assert r.status_code == 400
    html = r.content.decode()
    assert html.count("未知区域“火星区”") == 1
    assert html.count("格式不正确") == 1
    assert "发现 2 处错误" in html


def test_the_cli_lists_each_error_once(city_admin, regions, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD, encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 处错误"):
        call_command("projects", "import", str(path), "--user", "cityadmin", stdout=out)
    assert out.getvalue().count("未知区域“火星区”") == 1


# --- an empty region tree -------------------------------------------------------------------------


def _rows(n: int) -> str:
    return HEAD + "".join(f"{i},K2025995{i:02d},项目{i},1,中原区,\n" for i in range(1, n + 1))


def test_no_regions_is_said_once_with_the_command_that_loads_them(django_user_model):
    user = django_user_model.objects.create_user("clerk", password="x")
    assert not Region.objects.exists()
    report = import_projects(_csv(_rows(60)), user=None)
    assert len(report.errors) == 1
    assert "尚未加载行政区划" in report.errors[0].message and "cityrenew regions load" in report.errors[0].message
    # the command it names is the real one: after it, the same file imports
    call_command("regions", "load", stdout=io.StringIO())
    report = import_projects(_csv(_rows(60)), user=None, dry_run=True)
    assert report.ok and report.created == 60
    assert user.pk


def test_regions_loaded_but_a_name_unknown_is_still_a_row_error(regions):
    report = import_projects(_csv(_rows(2).replace("中原区", "火星区")), dry_run=True)
    assert [e.row for e in report.errors] == [2, 3]
    assert all("未知区域" in e.message for e in report.errors)


def test_units_import_without_regions_below_the_city(tmp_path, django_user_model):
    from cityrenew.checkup.services.units import run_unit_import

    province = Region.objects.create(code="410000", name="河南省", level="province", kind="province")
    city = Region.objects.create(code="410100", name="郑州市", level="city", kind="prefecture_city", parent=province)
    wb = Workbook()
    ws = wb.active
    ws.append(["编码", "名称", "类型", "所在区划"])
    for i in range(40):
        ws.append(["", f"小区{i}", "小区", "伏牛路社区"])
    path = tmp_path / "units.xlsx"
    wb.save(path)
    options = {"city": str(city.pk), "crs": "auto", "epsg": "", "kind": "", "region": ""}
    report = run_unit_import(path, city, options, None, dry_run=True)
    assert len(report.errors) == 1 and "cityrenew regions load" in report.errors[0].message
    assert "郑州市以下" in report.errors[0].message


def test_units_cli_and_page_without_any_region(client, tmp_path, django_user_model):
    admin = django_user_model.objects.create_user("root", password="x", is_superuser=True, is_staff=True)
    path = tmp_path / "units.xlsx"
    Workbook().save(path)
    with pytest.raises(CommandError, match="cityrenew regions load"):
        call_command("checkup", "units", "import", str(path), "--city", "郑州市")
    client.force_login(admin)
    page = client.get("/checkup/units/import/").content.decode()
    assert "尚未加载行政区划" in page and "cityrenew regions load" in page


# --- batch pages ----------------------------------------------------------------------------------


@pytest.fixture
def library(regions):
    from cityrenew.projects import demo

    demo.load()
    return regions


def test_batch_detail_is_paginated_and_totals_cover_the_whole_batch(client, library, viewer):
    client.force_login(viewer)
    initial = AdjustmentBatch.objects.get(batch_type="initial")
    n = initial.added_projects.count()
    assert n == 253
    html = client.get(f"/projects/batches/{initial.pk}/").content.decode()
    table = re.search(r'data-testid="batch-projects">(.*?)</table>', html, re.S).group(1)
    assert len(re.findall(r'<tr><td><a href="/projects/K', table)) == 50
    assert "第 1 / 6 页" in html and f"本批次入库项目：{n} 个" in html
    assert 'data-testid="batch-total">7,807.0411<' in html  # the whole batch, not the page
    last = client.get(f"/projects/batches/{initial.pk}/?page=6").content.decode()
    table = re.search(r'data-testid="batch-projects">(.*?)</table>', last, re.S).group(1)
    assert len(re.findall(r'<tr><td><a href="/projects/K', table)) == 3
    assert 'data-testid="batch-total">7,807.0411<' in last


def test_batch_list_is_paginated(client, regions, viewer):
    city = regions["郑州市"]

    def add(numbers):
        AdjustmentBatch.objects.bulk_create(
            [AdjustmentBatch(city=city, doc_number=f"测试〔2026〕{i}号", batch_type="add", date=date(2026, 1, 1)) for i in numbers]
        )

    add(range(1, 51))
    client.force_login(viewer)
    exactly_one_page = client.get("/projects/batches/").content.decode()
    assert exactly_one_page.count("测试〔2026〕") == 50 and 'data-testid="pager-page"' not in exactly_one_page
    add(range(51, 56))
    first = client.get("/projects/batches/").content.decode()
    assert 'data-testid="pager-page"' in first
    assert first.count("测试〔2026〕") == 50 and "第 1 / 2 页" in first
    second = client.get("/projects/batches/?page=2").content.decode()
    assert second.count("测试〔2026〕") == 5


# --- filters read 全部 ------------------------------------------------------------------------------


def test_filter_selects_read_quanbu(client, library, viewer):
    client.force_login(viewer)
    html = client.get("/projects/").content.decode()
    form = html[html.index('id="project-filters"'):]
    form = form[: form.index("</form>")]
    assert "---------" not in form
    for name in ("district", "region_group", "category", "status", "batch"):
        select = re.search(rf'<select name="{name}".*?</select>', form, re.S).group(0)
        assert re.search(r'<option value=""[^>]*>全部</option>', select), name
    assert "---------" not in client.get("/audit/").content.decode()


def test_sort_options_read_chinese():
    from cityrenew.projects.filtersets import ProjectFilterSet

    ordering = str(ProjectFilterSet({}).form["ordering"])
    assert '<option value="" selected>默认</option>' in ordering
    assert '<option value="-total_investment">项目总投资（降序）</option>' in ordering
    assert "(descending)" not in ordering


def test_checkup_filtersets_read_quanbu(regions):
    from cityrenew.checkup.catalogue import SET_2025, load_indicator_sets
    from cityrenew.checkup.forms import ProblemFilterSet
    from cityrenew.checkup.models import CheckupRun
    from cityrenew.checkup.views.units import UnitFilterSet

    sets = load_indicator_sets()
    run = CheckupRun(city=regions["郑州市"], year=2025, indicator_set=sets[SET_2025])
    problems = str(ProblemFilterSet({}, run=run).form)
    assert "---------" not in problems and problems.count(">全部</option>") >= 3
    units = str(UnitFilterSet({}).form)
    assert ">全部类型</option>" in units  # a label given on the filter is kept

"""The manual's Chinese indicator texts (指标解释、体检方法、参考标准) on every indicator page and in the
department Excel templates, printed exactly as 《城市体检工作手册（试行）》2025 has them.

The expected texts are read straight from the CSV shipped in the package with the csv module, so a
loader that trims, truncates, re-wraps or falls back to the English catalogue fails here.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from cityrenew.catalogue import DATA_DIR
from cityrenew.checkup import services
from cityrenew.checkup.catalogue import SET_2024, SET_2025, copy_set, fill_manual_texts, load_indicator_sets
from cityrenew.checkup.choices import Department, UnitKind
from cityrenew.checkup.models import AssessmentUnit, Indicator
from cityrenew.core.models import Region, RoleAssignment

pytestmark = pytest.mark.django_db

# 12/13/22 education (13 per 小区), 30 with a standard, 42 with "<" in its standard, 59 and 60 long ones,
# 1 a multi-line definition without a standard.
PICKED = (1, 12, 13, 22, 30, 42, 59, 60)


def official() -> dict[int, dict[str, str]]:
    with open(DATA_DIR / "checkup_indicators_zh.csv", encoding="utf-8-sig", newline="") as fh:
        return {int(r["number"]): r for r in csv.DictReader(fh)}


def english() -> dict[int, dict[str, str]]:
    with open(DATA_DIR / "checkup_indicators.csv", encoding="utf-8-sig", newline="") as fh:
        return {int(r["number"]): r for r in csv.DictReader(fh) if r["version"] == "2025"}


@pytest.fixture
def sets(db):
    return load_indicator_sets()


@pytest.fixture
def run(regions, city_admin, sets):
    city = regions["郑州市"]
    street = Region.objects.get(code="410102-S01")
    for code, name in (("T-C1", "棉纺路小区"), ("T-C2", "建设路小区")):
        AssessmentUnit.objects.create(kind=UnitKind.COMPOUND, name=name, code=code, city=city, region=street,
                                      centroid_lon=113.63, centroid_lat=34.75)
    return services.create_run(city, 2025, sets[SET_2025], city_admin)


def test_csv_ships_in_the_package_with_60_indicators_and_28_standards():
    rows = official()
    assert sorted(rows) == list(range(1, 61))
    assert sum(1 for r in rows.values() if r["standard_zh"]) == 28
    assert all(r["definition_zh"] and r["method_zh"] for r in rows.values())


def test_loader_stores_the_texts_verbatim_in_2025_and_matching_2024_indicators(sets):
    texts = official()
    s25 = sets[SET_2025]
    for n in PICKED:
        ind = s25.indicators.get(number=n)
        assert ind.name == texts[n]["name"]
        assert (ind.definition_zh, ind.method_zh, ind.standard_zh) == (
            texts[n]["definition_zh"], texts[n]["method_zh"], texts[n]["standard_zh"])
        assert ind.texts_source == f"《城市体检工作手册（试行）》（2025年5月） 五、基础指标说明 指标{n}"
    assert s25.indicators.exclude(definition_zh="").count() == 60
    # 2024: same name → the 2025 text; a replaced indicator (2024 no. 34 → 2025 no. 33) gets none
    s24 = sets[SET_2024]
    same = s24.indicators.get(name=texts[30]["name"])
    assert same.definition_zh == texts[30]["definition_zh"] and same.standard_zh == texts[30]["standard_zh"]
    replaced = s24.indicators.get(number=34)
    assert replaced.name != texts[33]["name"] and replaced.definition_zh == ""
    assert s24.indicators.get(number=8).definition_zh == ""  # dropped in 2025


def test_existing_database_gets_the_texts_through_fill_manual_texts(sets, city_admin):
    """A database loaded before the texts existed (what the data migration fixes)."""
    local = copy_set(sets[SET_2025], Region.objects.get(code="410100"), "ZZ-2025", "郑州市城市体检指标体系")
    Indicator.objects.update(definition_zh="", method_zh="", standard_zh="", texts_source="")
    updated = fill_manual_texts()
    # 60 (2025) + 60 (copy) + 2024 indicators with a 2025 counterpart (61 − 2 dropped − 4 replaced)
    assert updated == 60 + 60 + 55
    texts = official()
    copied = local.indicators.get(number=42)
    assert copied.standard_zh == texts[42]["standard_zh"]
    assert fill_manual_texts() == 0  # idempotent: nothing left without texts


def test_copied_set_keeps_the_texts(sets, regions):
    local = copy_set(sets[SET_2025], Region.objects.get(code="410100"), "ZZ-2025", "郑州市城市体检指标体系")
    texts = official()
    assert local.indicators.get(number=59).standard_zh == texts[59]["standard_zh"]


def _assert_texts_in_page(html: str, numbers, texts) -> None:
    for n in numbers:
        t = texts[n]
        assert escape(t["definition_zh"]) in html, f"指标{n} 指标解释 not on the page"
        assert escape(t["method_zh"]) in html, f"指标{n} 体检方法 not on the page"
        if t["standard_zh"]:
            assert escape(t["standard_zh"]) in html, f"指标{n} 参考标准 not on the page"


def test_set_page_shows_the_chinese_texts_not_the_english_catalogue(client, sets, city_admin):
    client.force_login(city_admin)
    html = client.get(reverse("checkup:set_detail", args=[sets[SET_2025].pk])).content.decode()
    texts, en = official(), english()
    _assert_texts_in_page(html, PICKED, texts)
    assert "<" in texts[42]["standard_zh"] and "&lt;" in escape(texts[42]["standard_zh"])
    for n in PICKED:
        assert escape(en[n]["definition"]) not in html
        if en[n]["standard_or_threshold"]:
            assert escape(en[n]["standard_or_threshold"]) not in html
    assert html.count('data-testid="indicator-texts"') == 60
    assert "手册未列参考标准" in html  # indicator 1 has no 参考标准


def test_english_ui_falls_back_to_the_english_catalogue(client, sets, city_admin):
    client.force_login(city_admin)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("checkup:set_detail", args=[sets[SET_2025].pk])).content.decode()
    assert escape(english()[30]["definition"]) in html


def test_evaluation_and_task_pages_show_the_texts(client, run, city_admin):
    client.force_login(city_admin)
    texts = official()
    html = client.get(reverse("checkup:evaluation", args=[run.pk])).content.decode()
    _assert_texts_in_page(html, PICKED, texts)
    edu = run.tasks.get(department=Department.EDUCATION)
    html = client.get(reverse("checkup:task_detail", args=[edu.pk])).content.decode()
    _assert_texts_in_page(html, (12, 13, 22), texts)  # 12 is computed from field problems: listed below the form
    # once per indicator, not once per 小区 row of indicator 13
    assert html.count('data-testid="indicator-texts" data-indicator="13"') == 1


def test_department_template_carries_the_texts_verbatim(client, run, make_user):
    edu = run.tasks.get(department=Department.EDUCATION)
    user = make_user("edu", None, None)
    RoleAssignment.objects.create(user=user, role="dept_editor", region=run.city, organisation=edu.organisation)
    client.force_login(user)
    resp = client.get(reverse("checkup:task_template", args=[edu.pk]))
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.content))
    info = wb["说明"]
    header_row = next(r for r in range(1, info.max_row + 1) if info.cell(r, 1).value == "序号")
    header = [c.value for c in info[header_row]]
    assert header[:7] == ["序号", "指标名称", "计量单位", "填报方式", "指标解释", "体检方法", "参考标准"]
    rows = {info.cell(r, 1).value: [c.value for c in info[r]] for r in range(header_row + 1, info.max_row + 1)}
    texts = official()
    numbers = sorted(edu.indicators.values_list("number", flat=True))
    assert numbers and set(numbers) >= {12, 13, 22}
    for n in numbers:
        row = rows[n]
        assert row[1] == texts[n]["name"]
        assert row[4] == texts[n]["definition_zh"]
        assert row[5] == texts[n]["method_zh"]
        assert row[6] == (texts[n]["standard_zh"] or "手册未列参考标准")
        assert row[8] == f"《城市体检工作手册（试行）》（2025年5月） 五、基础指标说明 指标{n}"
    # no English catalogue text anywhere in the workbook
    en = english()
    cells = {str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None}
    english_texts = [en[n][k][:40] for n in numbers for k in ("standard_or_threshold", "definition") if en[n][k]]
    assert english_texts
    for text in english_texts:
        assert not any(text in c for c in cells), text
    # the 填报表 points to the 说明 sheet where the manual has a 参考标准, and says so where it has none
    ws = wb["填报表"]
    std = {ws.cell(r, 2).value: ws.cell(r, 7).value for r in range(4, ws.max_row + 1) if ws.cell(r, 2).value}
    for n, value in std.items():
        assert value == ("参考标准见“说明”表" if texts[n]["standard_zh"] else "手册未列参考标准") or value.startswith(("≥", "≤"))


@pytest.mark.django_db(transaction=True)
def test_migration_fills_the_texts_of_a_database_loaded_before_them():
    """Indicators written under the first migration get the manual's texts when the database migrates."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("checkup")
    executor.migrate([("checkup", "0001_initial")])
    old = executor.loader.project_state([("checkup", "0001_initial")]).apps
    OldSet, OldIndicator = old.get_model("checkup", "IndicatorSet"), old.get_model("checkup", "Indicator")
    s = OldSet.objects.create(code=SET_2025, name="城市体检基础指标体系（2025年）", year=2025, kind="national")
    texts = official()
    for n in (30, 42):
        OldIndicator.objects.create(indicator_set=s, number=n, code=str(n), dimension="city", group="g", name=texts[n]["name"],
                                    direction="higher_better", method="reported", source_document="MOHURD-CHECKUP-2025")
    OldIndicator.objects.create(indicator_set=s, number=61, code="L61", dimension="city", group="g", name="地方指标",
                                direction="higher_better", method="reported", source_document="MOHURD-CHECKUP-2025",
                                is_local=True)
    executor = MigrationExecutor(connection)
    executor.migrate(latest)
    for n in (30, 42):
        ind = Indicator.objects.get(number=n)
        assert (ind.definition_zh, ind.method_zh, ind.standard_zh) == (
            texts[n]["definition_zh"], texts[n]["method_zh"], texts[n]["standard_zh"])
    assert Indicator.objects.get(number=61).definition_zh == ""  # a city's own indicator is left alone

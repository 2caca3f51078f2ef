"""A report's figures equal the records they come from; a year with no data is refused.

Each figure is recomputed here straight from the rows (plain Python over the model instances, not the
aggregate queries the app uses), for 洛阳市 whose demo records are known, and for records added in the
test, so a wrong filter (city, year, status, category) in :mod:`cityrenew.reports.figures` shows.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cityrenew.core.models import Region
from cityrenew.funding.models import FundingLine
from cityrenew.ledgers.models import Equipment, OldCommunity
from cityrenew.projects.models import RenewalProject
from cityrenew.reports import services
from cityrenew.reports.figures import collect, has_data, national_row, statistics
from cityrenew.reports.models import ProgressReport

pytestmark = pytest.mark.django_db


def d(text: str) -> Decimal:
    return Decimal(text or "0")


def test_each_figure_equals_the_records(two_cities, luoyang_admin):
    city = two_cities["luoyang"]
    # a record of another city in the same year must not leak into Luoyang's figures
    zz = two_cities["zhengzhou"]
    other = RenewalProject(code="K202591001", name="郑州测试项目", city=zz, category="old_community", status="implementing",
                           total_investment=Decimal("99"), start_year=2025)
    other.save()
    FundingLine.objects.create(project=other, channel="special_bond", year=2025, planned=Decimal("777"))

    report = services.generate(luoyang_admin, city, 2025)
    f = report.figures
    assert report.version == 1 and report.state == "generated"

    projects = list(RenewalProject.objects.filter(city=city))
    counted = [p for p in projects if p.status != "removed"]
    assert f["projects"]["count"] == len(counted) == 6
    assert d(f["projects"]["investment"]) == sum(p.total_investment for p in counted) == Decimal("34.6")
    assert f["projects"]["started"] == sum(1 for p in projects if p.start_year == 2025) == 3
    assert f["projects"]["completed"] == sum(1 for p in projects if p.end_year == 2025) == 1
    for row in f["projects"]["by_status"]:
        mine = [p for p in projects if p.get_status_display() == row["status"]]
        assert row["count"] == len(mine) and d(row["investment"]) == sum(p.total_investment for p in mine)

    communities = list(OldCommunity.objects.filter(region__path__startswith=city.path))
    assert f["ledgers"]["communities_total"] == len(communities) == 12
    for row in f["ledgers"]["communities_by_status"]:
        assert row["count"] == sum(1 for c in communities if c.get_status_display() == row["status"])

    lines = [fl for fl in FundingLine.objects.all() if fl.project.city_id == city.pk and fl.year == 2025]
    for key in ("planned", "received", "spent"):
        assert d(f["funding"]["totals"][key]) == sum(getattr(fl, key) for fl in lines)
    assert d(f["funding"]["totals"]["planned"]) == Decimal("57000")  # 30000 + 8000 + 4000 + 15000
    for row in f["funding"]["by_channel"]:
        mine = [fl for fl in lines if fl.get_channel_display() == row["channel"]]
        assert mine and d(row["planned"]) == sum(fl.planned for fl in mine)

    equipment = [e for e in Equipment.objects.filter(region__path__startswith=city.path) if e.commissioned and e.commissioned.year == 2025]
    nat = f["national"]
    assert int(nat["elevators_added"]) == sum(1 for e in equipment if e.category == "住宅电梯") == 2
    assert d(nat["pipes_km"]) == sum(e.length_km for e in equipment if e.category.endswith("管道")) == Decimal("6.35")
    assert int(nat["communities_started"]) == sum(1 for p in projects if p.category == "old_community" and p.start_year == 2025) == 1
    assert nat["pocket_parks"] is None and nat["greenways_km"] is None  # no record type: never a made-up 0
    assert f["checkup"] is None  # Luoyang has no check-up


def test_figures_are_a_snapshot(two_cities, luoyang_admin):
    city = two_cities["luoyang"]
    report = services.generate(luoyang_admin, city, 2025)
    line = FundingLine.objects.get(project__code="K202490002", year=2025)
    line.planned = Decimal("9000")
    line.save()
    report.refresh_from_db()
    assert report.figures["funding"]["totals"]["planned"] == "57000"  # what was generated, not today's records
    assert collect(city, 2025)["funding"]["totals"]["planned"] == "58000"


def test_year_without_data_is_refused_and_nothing_saved(two_cities, luoyang_admin):
    city = two_cities["luoyang"]
    assert has_data(city, 2024) and not has_data(city, 2023)
    with pytest.raises(services.ReportError, match="洛阳市2023年没有可报送的数据"):
        services.generate(luoyang_admin, city, 2023)
    assert not ProgressReport.objects.filter(city=city, year=2023).exists()
    # one dated record is enough: a funding line in 2023
    FundingLine.objects.create(project=RenewalProject.objects.get(code="K202490001"), channel="general_budget", year=2023,
                               planned=Decimal("1"))
    assert services.generate(luoyang_admin, city, 2023).year == 2023


@pytest.mark.parametrize("year, message", [("abc", "「年度」应为四位数字年份"), ("1999", "超出范围"), ("2101", "超出范围")])
def test_bad_year_is_refused(two_cities, luoyang_admin, year, message):
    with pytest.raises(services.ReportError, match=message):
        services.generate(luoyang_admin, two_cities["luoyang"], year)


def test_statistics_rows_and_totals(two_cities):
    zz, ly = two_cities["zhengzhou"], two_cities["luoyang"]
    Equipment.objects.create(code="T-ZZ-EL-1", name="电梯", region=Region.objects.get(code="410102"), category="住宅电梯",
                             commissioned=date(2025, 1, 2))
    Equipment.objects.create(code="T-ZZ-GP-1", name="燃气管道", region=Region.objects.get(code="410103"), category="燃气管道",
                             commissioned=date(2025, 12, 31), length_km=Decimal("1.005"))
    Equipment.objects.create(code="T-ZZ-GP-2", name="燃气管道", region=Region.objects.get(code="410103"), category="燃气管道",
                             commissioned=date(2026, 1, 1), length_km=Decimal("5"))  # next year: not in 2025
    rows = statistics([zz, ly], [2024, 2025])
    by = {(r["year"], r["city"]): r for r in rows}
    assert by[(2025, "郑州市")]["elevators_added"] == "1" and by[(2025, "郑州市")]["pipes_km"] == "1.005"
    assert by[(2025, "洛阳市")]["elevators_added"] == "2" and by[(2025, "洛阳市")]["pipes_km"] == "6.35"
    assert by[(2025, "合计")]["elevators_added"] == "3" and by[(2025, "合计")]["pipes_km"] == "7.355"
    assert by[(2024, "洛阳市")]["elevators_added"] == "1" and by[(2024, "洛阳市")]["pipes_km"] == "3.5"
    assert by[(2025, "合计")]["pocket_parks"] is None
    assert national_row(ly, 2026)["pipes_km"] == "0"


def test_statistics_agree_with_each_city_row(two_cities):
    """The grouped statistics and the per-city figures of a report are two code paths: same numbers."""
    cities = [two_cities["zhengzhou"], two_cities["luoyang"]]
    Equipment.objects.create(code="T-LY-EL-9", name="电梯", region=Region.objects.get(code="410305"), category="住宅电梯",
                             commissioned=date(2024, 7, 1))
    rows = statistics(cities, [2023, 2024, 2025])
    for r in rows:
        if r["city"] != "合计":
            city = next(c for c in cities if c.display_name == r["city"])
            assert {k: v for k, v in r.items() if k not in ("year", "city")} == national_row(city, r["year"])
    assert statistics(cities, []) == [] and statistics([], [2025]) == []

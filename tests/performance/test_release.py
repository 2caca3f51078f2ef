"""The release check registered with ``funding.hooks``: a central-subsidy tranche for year Y needs the city's filed
annual table for Y and, after the first year, the actual values of Y − 1 (财办建〔2025〕11号 四、（一）)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cityrenew.funding.hooks import release_blockers
from cityrenew.funding.models import Tranche
from cityrenew.performance import services
from cityrenew.performance.choices import TableKind
from cityrenew.performance.models import Period
from cityrenew.projects.choices import FundingSource
from cityrenew.projects.models import RenewalProject

from .support import filed_table, make_table, pdf

pytestmark = pytest.mark.django_db

TWO = (("更新改造地下管网长度", "公里", "increase", "100"), ("开工改造城镇老旧小区", "个", "increase", "50"))


@pytest.fixture
def zz(regions):
    return regions["郑州市"]


@pytest.fixture
def project(zz):
    p = RenewalProject(code="ZZ-2025-001", name="老城区地下管网更新", city=zz, total_investment=Decimal("3"))
    p.save()
    return p


def tranche(project, year: int, channel: str = FundingSource.CENTRAL_FINANCE) -> Tranche:
    t = Tranche(project=project, channel=channel, year=year, amount=Decimal("1000"))
    t.save()
    return t


def test_other_channels_are_not_held_back(project):
    assert release_blockers(tranche(project, 2025, FundingSource.SPECIAL_BOND)) == []


def test_first_year_needs_the_filed_annual_table(project, zz):
    t = tranche(project, 2025)
    (reason,) = release_blockers(t)
    assert reason.startswith("2025 年度绩效目标表尚未盖章备案")
    assert "财办建〔2025〕11号）四、（一）" in reason
    draft = make_table(zz, year=2025, indicators=TWO)
    assert len(release_blockers(t)) == 1  # a draft is not enough
    services.file_table(draft, None, pdf())
    assert release_blockers(t) == []


def test_a_project_table_does_not_stand_in_for_the_citys(project, zz):
    filed_table(zz, year=2025, project=project)
    assert release_blockers(tranche(project, 2025))


def test_second_year_needs_last_years_actuals_named(project, zz):
    filed_table(zz, kind=TableKind.OVERALL, year=2025, indicators=TWO)
    filed_table(zz, year=2025, indicators=TWO)
    filed_table(zz, year=2026, indicators=TWO)
    t = tranche(project, 2026)
    (reason,) = release_blockers(t)
    assert reason.startswith("2025 年度以下指标尚未填报实际值：")
    # two indicators in each of the overall and the annual table, all without 2025 actuals
    assert reason.count("更新改造地下管网长度") == 2 and reason.count("开工改造城镇老旧小区") == 2
    periods = list(Period.objects.filter(year=2025).order_by("pk"))
    for p in periods[:-1]:
        services.record_actual(p, Decimal("1"), "", None)
    (reason,) = release_blockers(t)
    last = periods[-1]
    assert f"{last.indicator.result.table}·{last.indicator.name}" in reason
    assert reason.count("·") == 1  # only the one still missing
    services.record_actual(last, Decimal("0"), "", None)  # zero is a value, not a gap
    assert release_blockers(t) == []


def test_second_year_without_last_years_annual_table(project, zz):
    filed_table(zz, kind=TableKind.OVERALL, year=2025, indicators=TWO)
    filed_table(zz, year=2026, indicators=TWO)
    reasons = release_blockers(tranche(project, 2026))
    assert any(r.startswith("2025 年度绩效目标表尚未盖章备案，无法核对上一年度实际值") for r in reasons)

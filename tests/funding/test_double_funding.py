"""The double-funding flag (财办建〔2025〕11号 四、（二）, seed L451–455) and the plan totals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cityrenew.funding import services
from cityrenew.funding.models import FundingLine

pytestmark = pytest.mark.django_db


def line(project, channel, year=2025, planned="100", **kw):
    return FundingLine.objects.create(project=project, channel=channel, year=year, planned=Decimal(planned), **kw)


@pytest.mark.parametrize("other", ["treasury_bond", "central_budget", "vehicle_tax", "other_central"])
def test_central_subsidy_with_another_central_channel_is_flagged(project, other):
    line(project, "central_finance")
    line(project, other, year=2026)  # another year counts too: “具体项目上不得重复申请”
    flag = services.double_funding(project)
    assert flag is not None and flag.channels == (other,)
    assert "不得重复申请中央预算内投资、车购税资金、超长期特别国债" in flag.message
    assert "财办建〔2025〕11号" in str(flag.citation) and flag.citation.where == "四、（二）"


@pytest.mark.parametrize("channels", [("central_finance", "special_bond", "general_budget"),
                                      ("treasury_bond", "central_budget")])
def test_no_flag_without_both(project, channels):
    for c in channels:
        line(project, c)
    assert services.double_funding(project) is None
    assert services.double_funded() == []


def test_a_line_with_no_money_does_not_count_and_the_smallest_amount_does(project, erqi_project):
    line(project, "central_finance")
    zero = line(project, "treasury_bond", planned="0")
    assert services.double_funding(project) is None
    zero.received = Decimal("0.000001")
    zero.save()
    assert services.double_funding(project).channels == ("treasury_bond",)
    line(erqi_project, "central_finance")
    assert [f.project.code for f in services.double_funded()] == ["K202201005"]


def test_plan_totals_by_year_channel_and_overall(plan):
    line(plan, "central_finance", year=2026, planned="2000")
    p = services.plan_of(plan)
    assert [(r.line.year, r.line.channel) for r in p.rows] == [
        (2025, "central_finance"), (2025, "general_budget"), (2026, "central_finance")]
    assert p.by_year[2025].planned == Decimal("4500") and p.by_year[2025].received == Decimal("2700")
    assert p.by_year[2025].spent == Decimal("1700")
    assert p.by_channel["central_finance"].planned == Decimal("5000")
    assert (p.total.planned, p.total.received, p.total.spent) == (Decimal("6500"), Decimal("2700"), Decimal("1700"))

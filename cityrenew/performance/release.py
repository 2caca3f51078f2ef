"""The release check the performance app adds to funding tranches (资金拨付与绩效挂钩).

财办建〔2025〕11号 四、（一）: central subsidy is “根据工作推进情况分年拨付到位”. Before finance approves a tranche of
the central renewal subsidy (``FundingSource.CENTRAL_FINANCE``) for year Y of a project in city C:

* C's 年度绩效目标表 for Y (the city's own table, not a project's) must be filed (盖章备案);
* for Y after C's first table year, every indicator of C's filed tables with a period in Y − 1 must have its
  actual value for Y − 1 recorded (and the annual table for Y − 1 must be filed) — the reason names those missing.

Other channels are not checked here (their own rules live with them).
"""

from __future__ import annotations

from typing import Any

from cityrenew.projects.choices import FundingSource

from .choices import RELEASE_SOURCE, TABLES_SOURCE, TableKind, TableState
from .models import Period, TargetTable

LIST_AT_MOST = 10  # name this many missing indicators, then “等 N 项”


def first_year(city_id: int) -> int | None:
    """The first year any filed city-level target table of the city covers."""
    years = TargetTable.objects.filter(city_id=city_id, project__isnull=True, state=TableState.FILED) \
        .values_list("year", flat=True)
    return min(years, default=None)


def blockers_for(city_id: int, year: int) -> list[str]:
    """Why the central subsidy of ``year`` may not be released to the city yet (empty: the targets allow it)."""
    cite = f"（{RELEASE_SOURCE}：{RELEASE_SOURCE.note}）"
    out: list[str] = []
    filed = TargetTable.objects.filter(city_id=city_id, project__isnull=True, state=TableState.FILED)
    if not filed.filter(kind=TableKind.ANNUAL, year=year).exists():
        out.append(f"{year} 年度绩效目标表尚未盖章备案{cite}")
    first = first_year(city_id)
    prev = year - 1
    if first is None or year <= first:
        return out
    if not filed.filter(kind=TableKind.ANNUAL, year=prev).exists():
        out.append(f"{prev} 年度绩效目标表尚未盖章备案，无法核对上一年度实际值{cite}")
    missing = (Period.objects.filter(indicator__result__table__in=filed, year=prev, actual__isnull=True)
               .select_related("indicator__result__table").order_by("indicator__result__table__kind", "indicator__order",
                                                                     "indicator__pk"))
    names = [f"{p.indicator.result.table}·{p.indicator.name}" for p in missing]
    if names:
        shown = "、".join(names[:LIST_AT_MOST]) + (f" 等 {len(names)} 项" if len(names) > LIST_AT_MOST else "")
        out.append(f"{prev} 年度以下指标尚未填报实际值：{shown}{cite}")
    return out


def central_subsidy_check(tranche: Any) -> str:
    """``funding.hooks`` release check: "" unless a central-subsidy tranche lacks its performance records."""
    if tranche.channel != FundingSource.CENTRAL_FINANCE:
        return ""
    reasons = blockers_for(tranche.project.city_id, tranche.year)
    return "；".join(reasons)


def targets_filed_guard(application: Any) -> str:
    """Guard of the central-fund move 绩效目标表已备案 (财办建〔2025〕11号 六、（四）): the city's 三年行动总体绩效目标表
    starting in the application's year and its 年度绩效目标表 of that year must exist here and be filed."""
    filed = TargetTable.objects.filter(city_id=application.city_id, project__isnull=True, state=TableState.FILED)
    missing = [label for kind, label in ((TableKind.OVERALL, "三年行动总体绩效目标表"), (TableKind.ANNUAL, "年度绩效目标表"))
               if not filed.filter(kind=kind, year=application.year).exists()]
    if not missing:
        return ""
    return (f"{application.year} 年起的" + "、".join(missing) + "尚未在“绩效”中盖章备案"
            f"（{TABLES_SOURCE}：{TABLES_SOURCE.note}）")

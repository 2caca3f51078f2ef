"""The cap by region applied to tranches (资金拨付): a release check registered with
:mod:`cityrenew.funding.hooks`.

Before finance approves a tranche of the central renewal subsidy (``FundingSource.CENTRAL_FINANCE``), the
city's approved and paid tranches of that channel plus this one must stay within the cap of its
province's region (财办建〔2025〕11号四、（一）: 每个城市补助总额不超过 8/10/12/12 亿元; tranches are in 万元,
the cap in 亿元 × 10 000). Exactly the cap passes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Sum

from . import rules
from .caps import UnknownProvince, region_of

WAN_PER_YI = Decimal("10000")


def cap_release_check(tranche: Any) -> str:
    from cityrenew.funding.choices import TrancheState
    from cityrenew.funding.models import Tranche
    from cityrenew.projects.choices import FundingSource

    if tranche.channel != FundingSource.CENTRAL_FINANCE:
        return ""
    city = tranche.project.city
    try:
        cap = region_of(city.parent.name if city.parent_id else city.name)
    except UnknownProvince:
        return ""
    released = (Tranche.objects.filter(project__city=city, channel=FundingSource.CENTRAL_FINANCE,
                                       state__in=[TrancheState.APPROVED, TrancheState.PAID])
                .exclude(pk=tranche.pk).aggregate(s=Sum("amount"))["s"] or Decimal("0"))
    limit = cap.cap_yi * WAN_PER_YI
    if released + tranche.amount > limit:
        return (f"{city.name}中央财政城市更新补助已审核 {released.normalize():f} 万元，加上本次 {tranche.amount.normalize():f} 万元"
                f"超过{cap.region_label}每个城市补助总额上限 {cap.cap_yi} 亿元（{limit.normalize():f} 万元，{rules.CAP_SOURCE}）")
    return ""

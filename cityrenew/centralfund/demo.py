"""Demo data of the central-fund app: Zhengzhou's 2025 application in preparation (编制中) and the 2025
selection round (20 places, no scores: the demo invents no other city's scores). Running it again
changes nothing.

The application's texts are demo placeholders written for the demo (marked 演示); its flagship items
link to projects of the Zhengzhou library found by keyword; conditions 1 and 2 are filled, condition 3
is left open so the page shows what the gate still lacks.
"""

from __future__ import annotations

from decimal import Decimal

from cityrenew.core.models import Region

from .caps import load_default_table
from .choices import Condition, FlagshipCategory, FlagshipKind, MechanismCategory, SizeClass
from .models import Application, EligibilityCondition, FlagshipItem, MechanismItem, SelectionRound

FLAGSHIPS = [
    (FlagshipKind.PROJECT, FlagshipCategory.NETWORKS, "老城区地下管网更新改造（演示）", "管网"),
    (FlagshipKind.AREA, FlagshipCategory.DISTRICTS, "老城区老旧小区与街区更新样板片区（演示）", "老旧小区"),
]
MECHANISMS = [
    (MechanismCategory.RESERVE, "城市体检—项目储备库—实施时序联动机制（演示）"),
    (MechanismCategory.FUNDS, "中央与地方资金统筹及专项债券配套机制（演示）"),
]


def load(stdout=None) -> None:
    from cityrenew.projects.models import RenewalProject

    load_default_table()
    city = Region.objects.filter(code="410100").first()
    if city is None:
        return
    SelectionRound.objects.get_or_create(year=2025)
    app, created = Application.objects.get_or_create(city=city, year=2025, defaults={
        "size_class": SizeClass.MEGA, "key_basin": "黄河", "requested_subsidy": Decimal("10"),
        "old_city_scope": "演示：中原区、二七区、管城区、金水区的老城区范围",
        "objectives": "演示：三年内完成老城区地下管网更新改造和老旧小区改造样板片区建设"})
    if not created:
        return
    for cond in Condition:
        met = True if cond != Condition.SAFETY else None
        EligibilityCondition.objects.create(application=app, condition=cond.value, met=met,
                                            note="演示：佐证材料待上传" if met else "")
    for kind, category, name, keyword in FLAGSHIPS:
        item = FlagshipItem.objects.create(application=app, kind=kind, category=category, name=name)
        item.projects.set(RenewalProject.objects.filter(city=city, name__contains=keyword).order_by("code")[:3])
    for category, name in MECHANISMS:
        MechanismItem.objects.create(application=app, category=category, name=name)
    if stdout is not None:
        stdout.write("中央财政支持申报：郑州市2025年度申报（编制中）、2025年度遴选批次。")

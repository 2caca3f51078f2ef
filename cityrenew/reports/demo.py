"""Demo of the province view (省级视图): a second city, 洛阳市, with its districts, a few projects, ledger
rows and funding lines, all marked （演示数据）; a province user ``shengting`` (只读用户 on 河南省) who reads
both cities, compares them and reviews their reports; a 洛阳市 市级管理员 ``luoyang``; and a yearly
report of 洛阳市 generated and submitted, waiting for the province. Running it again changes nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model

from cityrenew.core.choices import OrganisationKind, Role
from cityrenew.core.models import Organisation, Region, RoleAssignment
from cityrenew.core.regions import load_regions

REGIONS_FILE = Path(__file__).resolve().parent / "data" / "regions_luoyang.csv"
DEMO = "（演示数据）"
PROVINCE, CITY = "410000", "410300"
REPORT_YEAR = 2025

# (username, password, full name, role, region code, organisation, org short name)
USERS = [
    ("shengting", "cityrenew-shengting", "省住建厅（城市更新处）", Role.VIEWER, PROVINCE, "河南省住房和城乡建设厅", "省住建厅"),
    ("luoyang", "cityrenew-luoyang", "洛阳市更新办管理员", Role.CITY_ADMIN, CITY, "洛阳市住房和城乡建设局", "洛阳市住建局"),
]

# (code, name, district, category, status, investment 亿元, start, end)
PROJECTS = [
    ("K202490001", "涧西区工业遗产街区更新", "410305", "old_factory", "implementing", "12.5", 2024, None),
    ("K202490002", "老城区历史街区微更新", "410302", "old_block", "implementing", "6.8", 2025, None),
    ("K202490003", "西工区老旧小区改造（一期）", "410303", "old_community", "completed", "3.2", 2024, 2025),
    ("K202490004", "瀍河区老旧小区改造", "410304", "old_community", "implementing", "2.4", 2025, None),
    ("K202490005", "洛龙区地下管网更新改造", "410311", "infrastructure", "implementing", "8.1", 2025, None),
    ("K202490006", "洛阳市口袋公园与绿道建设", "410311", "ecology", "library", "1.6", None, None),
]
# (project code, channel, year, planned, received, spent) in 万元
FUNDING = [
    ("K202490001", "special_bond", 2024, "20000", "18000", "15000"),
    ("K202490001", "central_finance", 2025, "30000", "20000", "12000"),
    ("K202490002", "general_budget", 2025, "8000", "8000", "5000"),
    ("K202490003", "central_finance", 2024, "6000", "6000", "6000"),
    ("K202490004", "gov_fund", 2025, "4000", "2500", "1200"),
    ("K202490005", "treasury_bond", 2025, "15000", "10000", "4000"),
]


def _users() -> list[tuple[str, str, str]]:
    User = get_user_model()
    logins = []
    for username, password, full_name, role, code, org_name, short in USERS:
        region = Region.objects.get(code=code)
        org, _ = Organisation.objects.get_or_create(name=org_name, defaults={
            "short_name": short, "kind": OrganisationKind.AUTHORITY, "region": region})
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
        if created:
            user.set_password(password)
            user.save()
        RoleAssignment.objects.get_or_create(user=user, role=role, region=region, organisation=org)
        logins.append((username, password, f"{full_name}（{dict(Role.choices)[role]}，{region.display_name}）"))
    return logins


def _projects(city: Region) -> None:
    from cityrenew.funding.models import FundingLine
    from cityrenew.projects.models import RenewalProject

    for code, name, district, category, status, amount, start, end in PROJECTS:
        project = RenewalProject.objects.filter(code=code).first()
        if project is None:
            project = RenewalProject(code=code, name=name + DEMO, city=city, category=category, status=status,
                                     total_investment=Decimal(amount), start_year=start, end_year=end)
            project.save()
            project.districts.add(Region.objects.get(code=district))
    for code, channel, year, planned, received, spent in FUNDING:
        FundingLine.objects.get_or_create(
            project=RenewalProject.objects.get(code=code), channel=channel, year=year,
            defaults={"planned": Decimal(planned), "received": Decimal(received), "spent": Decimal(spent), "note": "演示数据"})


def _ledgers(city: Region) -> None:
    from cityrenew.ledgers.choices import EquipmentCategory, LedgerStatus
    from cityrenew.ledgers.models import Equipment, OldCommunity

    districts = list(Region.objects.filter(parent=city).order_by("order", "code"))
    statuses = [LedgerStatus.IN_USE, LedgerStatus.PLANNED, LedgerStatus.RENEWING, LedgerStatus.RENEWED]
    for i in range(12):
        d = districts[i % len(districts)]
        OldCommunity.objects.get_or_create(code=f"DEMO-LY-OC-{i + 1:03d}", defaults={
            "name": f"{d.display_name}第{i + 1}小区{DEMO}", "region": d, "built_year": 1985 + i,
            "households": 120 + 10 * i, "status": statuses[i % 4], "demo": True})
    # (category, commissioned, length km)
    equipment = [(EquipmentCategory.ELEVATOR, date(2024, 5, 1), None), (EquipmentCategory.ELEVATOR, date(2025, 3, 1), None),
                 (EquipmentCategory.ELEVATOR, date(2025, 9, 1), None), (EquipmentCategory.GAS_PIPE, date(2024, 10, 1), "3.5"),
                 (EquipmentCategory.WATER_PIPE, date(2025, 6, 30), "4.25"), (EquipmentCategory.SEWAGE_PIPE, date(2025, 11, 1), "2.1")]
    for i, (cat, day, km) in enumerate(equipment):
        d = districts[i % len(districts)]
        Equipment.objects.get_or_create(code=f"DEMO-LY-EQ-{i + 1:03d}", defaults={
            "name": f"{d.display_name}{cat}{i + 1}{DEMO}", "region": d, "category": cat, "commissioned": day,
            "length_km": Decimal(km) if km else None, "status": LedgerStatus.RENEWED, "demo": True})


def _report(city: Region) -> None:
    from . import services
    from .models import ProgressReport

    if ProgressReport.objects.filter(city=city, year=REPORT_YEAR).exists():
        return
    admin = get_user_model().objects.get(username="luoyang")
    report = services.generate(admin, city, REPORT_YEAR, progress="涧西区工业遗产街区、老城区历史街区更新按计划推进；西工区老旧小区改造（一期）竣工。",
                               problems="社会资本参与不足，地下管网改造资金缺口较大。", practices="以片区统筹推进老旧小区与管网同步改造。")
    services.submit(admin, report)


def load(stdout=None, *, report: bool = True) -> list[tuple[str, str, str]]:
    load_regions(REGIONS_FILE)
    city = Region.objects.get(code=CITY)
    logins = _users()
    _projects(city)
    _ledgers(city)
    if report:
        _report(city)
    if stdout is not None:
        stdout.write("省级视图演示：洛阳市（第二个城市）的项目、台账、资金计划和一份待省厅审核的年度报告。")
    return logins

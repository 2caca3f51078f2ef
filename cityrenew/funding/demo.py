"""Demo data of the funding app: a finance reviewer, funding plans of three 中原区 projects (one drawing both
the central renewal subsidy and ultra-long special treasury bonds, so the double-funding flag shows), and a
tranche waiting for the district's review. Idempotent."""

from __future__ import annotations

from decimal import Decimal as D

from django.contrib.auth import get_user_model

from cityrenew.core.choices import OrganisationKind, Role
from cityrenew.core.models import Organisation, Region, RoleAssignment
from cityrenew.projects.choices import FundingSource as F
from cityrenew.projects.models import RenewalProject

from .choices import TrancheState
from .models import FundingLine, FundingSettings, Tranche

FINANCE_ORG = ("郑州市财政局", "市财政局", OrganisationKind.DEPARTMENT, "410100")
FINANCE_USER = ("caizheng", "cityrenew-caizheng", "市财政局审核员")
# per project (the first three 中原区 projects by code): (channel, year, planned, received, spent) in 万元
PLANS = [
    [(F.CENTRAL_FINANCE, 2025, D("3000"), D("1200"), D("800")), (F.GENERAL_BUDGET, 2025, D("1500"), D("1500"), D("900")),
     (F.CENTRAL_FINANCE, 2026, D("2000"), D("0"), D("0")), (F.RESIDENT, 2026, D("120"), D("0"), D("0"))],
    [(F.SPECIAL_BOND, 2025, D("5000"), D("5000"), D("3100")), (F.MAINTENANCE_FUND, 2025, D("260"), D("260"), D("180"))],
    [(F.CENTRAL_FINANCE, 2025, D("1800"), D("600"), D("200")), (F.TREASURY_BOND, 2025, D("2500"), D("2500"), D("1000"))],
]


def _say(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def load(stdout=None) -> None:
    city = Region.objects.filter(code=FINANCE_ORG[3]).first()
    district = Region.objects.filter(code="410102").first()
    if city is None or district is None:
        return
    org, _ = Organisation.objects.get_or_create(
        name=FINANCE_ORG[0], defaults={"short_name": FINANCE_ORG[1], "kind": FINANCE_ORG[2], "region": city})
    User = get_user_model()
    username, password, full_name = FINANCE_USER
    user, created = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
    if created:
        user.set_password(password)
        user.save()
    RoleAssignment.objects.get_or_create(user=user, role=Role.DEPT_REVIEWER, region=city, organisation=org)
    conf, _ = FundingSettings.objects.get_or_create(city=city)
    if not conf.finance_organisations.exists():
        conf.finance_organisations.add(org)  # the city's finance approver of tranches (市级管理员 may change it)
    projects = list(RenewalProject.objects.filter(districts=district).order_by("code")[: len(PLANS)])
    for project, rows in zip(projects, PLANS):
        for channel, year, planned, received, spent in rows:
            FundingLine.objects.get_or_create(project=project, channel=channel, year=year,
                                              defaults={"planned": planned, "received": received, "spent": spent})
    if projects:
        requester = User.objects.filter(username="zhongyuan").first()
        Tranche.objects.get_or_create(
            project=projects[0], channel=F.CENTRAL_FINANCE, year=2025, amount=D("1000"),
            defaults={"purpose": "老旧管网改造第一期工程款", "state": TrancheState.REQUESTED, "requested_by": requester})
    _say(stdout, f"资金演示：{len(projects)} 个项目的资金计划；财政审核账号 {username} / {password}（{full_name}）")

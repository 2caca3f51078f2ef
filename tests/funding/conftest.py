"""Fixtures of the funding tests: two projects (中原区, 二七区), a plan, a finance reviewer, an entity clerk."""

from __future__ import annotations

from decimal import Decimal

import pytest

PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\n"
       b"endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


def _project(code: str, name: str, district_code: str, **extra):
    from cityrenew.core.models import Region
    from cityrenew.projects.models import RenewalProject

    district = Region.objects.get(code=district_code)
    p = RenewalProject.objects.create(code=code, name=name, city=district.parent, total_investment=Decimal("5"),
                                      category="old_community", status="implementing", **extra)
    p.districts.add(district)
    return RenewalProject.objects.get(pk=p.pk)


@pytest.fixture
def project(regions):
    return _project("K202201005", "芝麻街1958双创园", "410102")


@pytest.fixture
def erqi_project(regions):
    return _project("K202201010", "建中街小区改造", "410103")


def file_annual_table(city, year: int):
    """``city``'s annual performance target table of ``year`` (one indicator), filed with a stamped scan."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cityrenew.performance import services
    from cityrenew.performance.models import Indicator, Result, TargetTable

    table = TargetTable.objects.create(city=city, kind="annual", year=year)
    result = Result.objects.create(table=table, title="老旧片区宜居环境建设取得明显成效")
    ind = Indicator.objects.create(result=result, name="改造老旧小区", unit="个", direction="increase")
    services.set_targets(ind, Decimal("0"), {year: Decimal("10")})
    services.file_table(table, None, SimpleUploadedFile("盖章扫描件.pdf", PDF, content_type="application/pdf"))
    return table


@pytest.fixture
def file_annual():
    return file_annual_table


@pytest.fixture
def performance_filed(regions):
    """郑州市's 2025 annual performance table, filed: the performance release check of 2025 central subsidy passes."""
    from cityrenew.core.models import Region

    return file_annual_table(Region.objects.get(code="410100"), 2025)


@pytest.fixture
def plan(project, performance_filed):
    """中原区 project: 2025 central subsidy 3000 万元 planned, 2025 general budget 1500 (郑州市's 2025 performance
    table is filed, so only the plan limits a tranche's finance approval)."""
    from cityrenew.funding.models import FundingLine

    FundingLine.objects.create(project=project, channel="central_finance", year=2025, planned=Decimal("3000"),
                               received=Decimal("1200"), spent=Decimal("800"))
    FundingLine.objects.create(project=project, channel="general_budget", year=2025, planned=Decimal("1500"),
                               received=Decimal("1500"), spent=Decimal("900"))
    return project


@pytest.fixture
def finance_user(regions):
    from django.contrib.auth import get_user_model

    from cityrenew.core.models import Organisation, Region, RoleAssignment

    city = Region.objects.get(code="410100")
    org = Organisation.objects.create(name="郑州市财政局", short_name="市财政局", kind="department", region=city)
    user = get_user_model().objects.create_user(username="caizheng", password="pass-caizheng", first_name="财政审核员")
    RoleAssignment.objects.create(user=user, role="dept_reviewer", region=city, organisation=org)
    from cityrenew.funding.models import FundingSettings

    FundingSettings.objects.create(city=city).finance_organisations.add(org)  # the city names its finance approver
    return user


@pytest.fixture
def other_reviewer(regions):
    """A 部门审核员 of a bureau that is not finance (教育局): no finance approval."""
    from django.contrib.auth import get_user_model

    from cityrenew.core.models import Organisation, Region, RoleAssignment

    city = Region.objects.get(code="410100")
    org = Organisation.objects.create(name="郑州市教育局", short_name="市教育局", kind="department", region=city)
    user = get_user_model().objects.create_user(username="jiaoyu", password="pass-jiaoyu")
    RoleAssignment.objects.create(user=user, role="dept_reviewer", region=city, organisation=org)
    return user


@pytest.fixture
def entity_user(project):
    """实施主体填报员 of the project's implementing entity."""
    from django.contrib.auth import get_user_model

    from cityrenew.core.models import Organisation, Region, RoleAssignment

    district = Region.objects.get(code="410102")
    org = Organisation.objects.create(name="中原城发集团", short_name="中原城发", kind="entity", region=district)
    project.implementing_entity = org
    project.save()
    user = get_user_model().objects.create_user(username="shishi", password="pass-shishi")
    RoleAssignment.objects.create(user=user, role="entity_editor", region=district, organisation=org)
    return user

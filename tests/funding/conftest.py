"""Fixtures of the funding tests: two projects (中原区, 二七区), a plan, a finance reviewer, an entity clerk."""

from __future__ import annotations

from decimal import Decimal

import pytest


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


@pytest.fixture
def plan(project):
    """中原区 project: 2025 central subsidy 3000 万元 planned, 2025 general budget 1500."""
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

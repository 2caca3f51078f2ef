"""Fixtures of the notices tests: an approved plan of a real project in 中原区, its authority and entity users."""

from __future__ import annotations

from decimal import Decimal

import pytest

# Every notice test counts its periods from a pinned day inside the calendar's coverage (chinese-calendar
# knows the years up to 2026): counted from the real date, a 15-working-day period reaches a year the
# calendar does not know late in a year, and the publication is then (rightly) refused.
TODAY = "2026-09-25"  # a Friday before National Day 2026: 15 working days end on 2026-10-22


@pytest.fixture(autouse=True)
def pinned_today(settings):
    settings.CITYRENEW_TODAY = TODAY
    return TODAY


@pytest.fixture
def scene(regions, zhongyuan_editor, erqi_editor, make_user):
    from django.contrib.gis.geos import Point

    from cityrenew.core.choices import OrganisationKind, Role
    from cityrenew.core.models import Organisation, Region, RoleAssignment
    from cityrenew.plans.choices import PlanState
    from cityrenew.plans.models import ImplementationPlan
    from cityrenew.projects.models import RenewalProject

    zhongyuan = Region.objects.get(code="410102")  # 中原区
    entity = Organisation.objects.create(name="郑州中原城市更新有限公司", kind=OrganisationKind.ENTITY, region=zhongyuan)
    project = RenewalProject.objects.create(code="K202601001", name="建设路片区老旧小区改造", city=zhongyuan.parent,
                                            total_investment=Decimal("1.25"), location=Point(113.6312, 34.7535, srid=4326))
    project.districts.add(zhongyuan)
    plan = ImplementationPlan.objects.create(
        code="SS-2026-001", title="建设路片区城市更新实施方案", project=project, district=zhongyuan, entity=entity,
        state=PlanState.APPROVED, summary="改造建筑面积3.2万平方米，加装电梯12部，\n新增停车位86个。",
    )
    shishi = make_user("shishi1", None, None, first_name="实施主体填报员")
    RoleAssignment.objects.create(user=shishi, role=Role.ENTITY_EDITOR, region=zhongyuan, organisation=entity)
    return {"plan": plan, "authority": zhongyuan_editor, "other_district": erqi_editor, "entity_user": shishi,
            "district": zhongyuan, "project": project}

"""Fixtures of the ballots tests: a plan in owner consultation, its entity's clerk, votes and registers."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone


@pytest.fixture
def plan(regions):
    from cityrenew.core.choices import OrganisationKind
    from cityrenew.core.models import Organisation, Region
    from cityrenew.plans.choices import PlanState
    from cityrenew.plans.models import ImplementationPlan
    from cityrenew.projects.models import RenewalProject

    zhongyuan = Region.objects.get(code="410102")
    project = RenewalProject.objects.create(code="K202201005", name="建设路老旧小区改造", city=zhongyuan.parent,
                                            total_investment=Decimal("5"), category="old_community", status="library")
    project.districts.add(zhongyuan)
    entity = Organisation.objects.create(name="中原区城市更新实施有限公司", kind=OrganisationKind.ENTITY, region=zhongyuan)
    return ImplementationPlan.objects.create(code="SSFA-2026-001", title="建设路小区改造实施方案", project=project,
                                             district=zhongyuan, entity=entity, state=PlanState.CONSULTATION)


@pytest.fixture
def entity_clerk(plan, make_user):
    from cityrenew.core.models import RoleAssignment

    user = make_user("shishi", None, None, first_name="实施主体填报员")
    RoleAssignment.objects.create(user=user, role="entity_editor", region=plan.district, organisation=plan.entity)
    return user


@pytest.fixture
def make_vote(plan):
    from cityrenew.ballots.models import Vote

    def make(matter="major", *, opens=-1, closes=1, **kw) -> Vote:
        now = timezone.now()
        return Vote.objects.create(plan=kw.pop("plan", plan), title=kw.pop("title", "小区改建（加固及外立面改造）"), matter=matter,
                                   opens_at=now + dt.timedelta(hours=opens), closes_at=now + dt.timedelta(hours=closes), **kw)

    return make


def write_register(path: Path, rows: list[tuple], header=("楼栋", "单元", "房号", "业主", "专有部分面积", "建设单位未售")) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def close_now(vote) -> None:
    """End the vote now (as time passing would): a direct update of closes_at, audited like any save."""
    vote.closes_at = timezone.now() - dt.timedelta(seconds=1)
    vote.save()


@pytest.fixture(autouse=True)
def _fresh_attempt_counters():
    """The public pages count failed code attempts per address in the cache: each test starts at zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()

"""Fixtures of the security tests: one user per role, a small real library, API clients."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from tests.checkup.conftest import dept_user, sets, units  # noqa: F401  (shared check-up fixtures)

ROLES = ["city_admin", "district_editor", "viewer", "dept_editor", "dept_reviewer", "surveyor", "anonymous"]


@pytest.fixture
def role_users(regions, make_user):
    """One user per role: city-wide roles over 郑州市, the district editor over 中原区; the department
    roles belong to 郑州市教育局."""
    from cityrenew.core.choices import OrganisationKind
    from cityrenew.core.models import Organisation, RoleAssignment

    edu = Organisation.objects.create(name="郑州市教育局（安全测试）", kind=OrganisationKind.DEPARTMENT, region=regions["郑州市"])
    users = {
        "city_admin": make_user("sec-city", "city_admin", "410100"),
        "district_editor": make_user("sec-zhongyuan", "district_editor", "410102"),
        "viewer": make_user("sec-viewer", "viewer", "410100"),
        "surveyor": make_user("sec-surveyor", "surveyor", "410100"),
        "anonymous": None,
    }
    for role in ("dept_editor", "dept_reviewer"):
        u = make_user(f"sec-{role}", None, None)
        RoleAssignment.objects.create(user=u, role=role, region=regions["郑州市"], organisation=edu)
        users[role] = u
    return users


def api(user) -> APIClient:
    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


@pytest.fixture
def small_library(regions):
    """Three projects (中原区, 二七区, and one spanning both) in an initial batch, plus a later batch."""
    from cityrenew.core import audit
    from cityrenew.projects.models import (
        AdjustmentBatch,
        ProjectFunding,
        RenewalProject,
    )

    zz, zy, eq = regions["郑州市"], regions["中原区"], regions["二七区"]
    with audit.actor(None, "system"):
        initial = AdjustmentBatch(city=zz, doc_number="安全测试〔2022〕1号", batch_type="initial")
        initial.save()
        later = AdjustmentBatch(city=zz, doc_number="安全测试〔2025〕2号", batch_type="add")
        later.save()
        out = {"batch": initial, "later_batch": later}
        for key, code, name, districts, amount in [
            ("zhongyuan", "K202201005", "芝麻街1958双创园", [zy], "50"),
            ("erqi", "K202202001", "二七南部城区项目", [eq], "248.79"),
            ("multi", "K202201001", "金水河“一河两岸”项目", [zy, eq], "388"),
        ]:
            p = RenewalProject(code=code, name=name, city=zz, region_group=zy.group, total_investment=Decimal(amount),
                               category="old_block", status="library", batch=initial, seq=len(out))
            p.save()
            p.districts.set(districts)
            out[key] = p
        out["zhongyuan_funding"] = ProjectFunding(project=out["zhongyuan"], source="credit", amount=Decimal(2))
        out["zhongyuan_funding"].save()
        out["erqi_funding"] = ProjectFunding(project=out["erqi"], source="credit", amount=Decimal(7))
        out["erqi_funding"].save()
    return out

"""The joint-review demo: departments mapped, reviewers, a round under way; running it twice changes nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

pytestmark = pytest.mark.django_db


def test_demo_builds_a_round_and_is_idempotent(regions, make_user):
    from django.contrib.auth import get_user_model

    from cityrenew.core.models import AuditLog
    from cityrenew.projects.models import RenewalProject
    from cityrenew.review import demo, services
    from cityrenew.review.models import ReviewDepartment, ReviewRecord

    make_user("admin", "city_admin", "410100")
    p = RenewalProject.objects.create(code="K202601009", name="碧沙岗社区", city=regions["郑州市"], total_investment=Decimal(2))
    p.districts.add(regions["中原区"])
    out = io.StringIO()
    assert demo.load(out) == {"rounds": 1}
    assert "guihua / cityrenew-guihua" in out.getvalue()
    assert ReviewDepartment.objects.filter(district=regions["中原区"]).count() == 15
    assert ReviewDepartment.objects.get(district=regions["中原区"], key="planning").organisation.name == "中原区规划自然资源部门"
    assert ReviewDepartment.objects.get(district=regions["二七区"], key="city_level").organisation.name == "郑州市相关部门"
    guihua = get_user_model().objects.get(username="guihua")
    assert services.visible_records(guihua).get().item_key == "planning_land"
    answered = ReviewRecord.objects.exclude(opinion="").get()
    assert answered.opinion == "conditional" and answered.department_key == "development_reform"
    counts = (ReviewRecord.objects.count(), AuditLog.objects.count())
    assert demo.load(io.StringIO()) == {"rounds": 1}
    assert (ReviewRecord.objects.count(), AuditLog.objects.count()) == counts

"""The plans demo: six plans of 中原区 projects moved through the real workflow, the entity login
``shishi``, real .docx materials; running it again changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import authenticate

from cityrenew.core.models import AuditLog, Region
from cityrenew.plans import demo, services
from cityrenew.plans.choices import PlanState as S
from cityrenew.plans.models import ImplementationPlan, PlanMaterial
from cityrenew.projects.models import RenewalProject

pytestmark = pytest.mark.django_db


def test_demo_plans(regions, zhongyuan_editor):
    for i in range(6):
        p = RenewalProject.objects.create(code=f"K20260100{i + 1}", name=f"中原区演示项目{i + 1}", city=Region.objects.get(code="410100"),
                                          total_investment=Decimal(1))
        p.districts.set([Region.objects.get(code="410102")])
    out = demo.load()
    assert out["plans"] == 6 and out["login"][0] == "shishi"
    states = dict(ImplementationPlan.objects.values_list("code", "state"))
    # 意见征询中 for the owners' vote (ballots demo); two approved: the notices demo publishes the first, the
    # other waits for its publication (公示中 needs a notice, 办理许可和备案 its period's end)
    assert states == {"FA-2026-001": S.CONSULTATION, "FA-2026-002": S.SUBMITTED, "FA-2026-003": S.REVISION,
                      "FA-2026-004": S.JOINT_REVIEW, "FA-2026-005": S.APPROVED, "FA-2026-006": S.APPROVED}
    approved = ImplementationPlan.objects.get(code="FA-2026-005")
    assert approved.opinion_date is not None and len(services.land_deadlines(approved)) == 2
    # approved through the review app's guard: every department of the round agreed, the opinion document written
    rnd = approved.review_rounds.get()
    assert rnd.status == "approved" and rnd.records.exists() and not rnd.records.exclude(opinion="agree").exists()
    assert rnd.opinion_sha256
    assert not services.missing_materials(ImplementationPlan.objects.get(code="FA-2026-002"))  # with 他项权益人同意
    assert PlanMaterial.objects.filter(plan__code="FA-2026-002", kind="other_rights").exists()
    assert ImplementationPlan.objects.get(code="FA-2026-003").revision_requests.get().items.count() == 2
    assert authenticate(username="shishi", password="cityrenew-shishi") is not None
    logs = AuditLog.objects.count()
    assert demo.load()["plans"] == 0 and AuditLog.objects.count() == logs

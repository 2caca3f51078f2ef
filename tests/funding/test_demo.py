"""The funding demo: a finance reviewer, plans with one double-funded project, a pending tranche; idempotent."""

from __future__ import annotations

import pytest

from cityrenew.core.models import AuditLog
from cityrenew.funding import demo, services
from cityrenew.funding.models import FundingLine, FundingSettings, Tranche

pytestmark = pytest.mark.django_db


def test_demo_loads_once(project, erqi_project, regions):
    from tests.funding.conftest import _project

    _project("K202201006", "中原区第二个项目", "410102")
    _project("K202201007", "中原区第三个项目", "410102")
    demo.load()
    counts = (FundingLine.objects.count(), Tranche.objects.count(), AuditLog.objects.count())
    assert counts[:2] == (8, 1)
    assert [f.project.code for f in services.double_funded()] == ["K202201007"]
    t = Tranche.objects.get()
    assert t.state == "requested" and t.project.code == "K202201005"
    conf = FundingSettings.objects.get(city__code="410100")  # the city's finance approver, named explicitly
    assert [o.name for o in conf.finance_organisations.all()] == ["郑州市财政局"]
    demo.load()
    assert (FundingLine.objects.count(), Tranche.objects.count(), AuditLog.objects.count()) == counts

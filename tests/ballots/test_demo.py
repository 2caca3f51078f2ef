"""The ballots demo builds an open vote and a tallied elevator vote, and runs only once."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

pytestmark = pytest.mark.django_db


def test_demo_votes(regions):
    from cityrenew.ballots import demo
    from cityrenew.ballots.models import Vote
    from cityrenew.core.models import Region
    from cityrenew.projects.models import RenewalProject

    zhongyuan = Region.objects.get(code="410102")
    p = RenewalProject.objects.create(code="K202201005", name="建设路小区", city=zhongyuan.parent, total_investment=Decimal(1))
    p.districts.add(zhongyuan)
    out = io.StringIO()
    assert demo.load(out) == {"votes": 2}
    elevator = Vote.objects.get(title=demo.ELEVATOR_TITLE)
    assert elevator.result["passed"] is True and elevator.result["owners_voted"] == 10
    assert elevator.result["matter"] == "major"
    open_vote = Vote.objects.get(title=demo.OPEN_TITLE)
    assert open_vote.is_open() and open_vote.units.count() == 24 and open_vote.tallied_at is None
    assert f"/public/vote/{open_vote.pk}/" in out.getvalue()
    assert demo.load(out) == {}
    assert Vote.objects.count() == 2

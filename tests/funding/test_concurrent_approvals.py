"""Two finance approvals of one plan line at the same moment: the line's lock lets exactly one through.

Two tranches of 2,000 万元 against a plan of 3,000 each fit while neither is approved; two threads (their own
database connections) approve them at once. A release check that takes half a second (as a check reading
other records may) holds each approval between its plan check and its write. The second must wait for the
first and then see the plan's remaining 1,000 万元 — never both approved (5,000 > 3,000)."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from cityrenew.funding import hooks, services
from cityrenew.funding.models import Tranche

pytestmark = pytest.mark.django_db(transaction=True)


def test_only_one_of_two_simultaneous_approvals_passes(plan, zhongyuan_editor, city_admin, finance_user):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("in-memory SQLite is not shared between threads")
    tranches = [services.request_tranche(zhongyuan_editor, plan, channel="central_finance", year=2025,
                                         amount_value="2000") for _ in range(2)]
    for t in tranches:
        services.decide(city_admin, t, approve=True)
    def slow_check(tranche: Tranche) -> str:
        time.sleep(0.5)
        return ""

    hooks.register_release_check(slow_check)
    start = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def approve(t: Tranche) -> None:
        try:
            start.wait()
            services.decide(finance_user, t, approve=True)
            result = "ok"
        except services.FundingError as exc:
            result = exc.message
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=approve, args=(t,)) for t in tranches]
    for th in threads:
        th.start()
    try:
        for th in threads:
            th.join(60)
    finally:
        hooks.unregister_release_check(slow_check)
    assert sorted(o == "ok" for o in outcomes) == [False, True], outcomes
    assert next(o for o in outcomes if o != "ok").endswith("剩余 1000 万元")
    assert sorted(Tranche.objects.values_list("state", flat=True)) == ["approved", "district_approved"]
    assert services.remaining(plan, "central_finance", 2025)[1] == Decimal("1000")

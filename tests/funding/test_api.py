"""/api/funding/: the same rules as the pages (negative amounts, plan limit, two approvals, permissions)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cityrenew.funding.models import FundingLine, Tranche

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return c


def test_lines_crud_and_negative_amounts(project, zhongyuan_editor, erqi_editor):
    c = api(zhongyuan_editor)
    r = c.post("/api/funding/lines/", {"project": project.code, "channel": "central_finance", "year": 2025,
                                       "planned": "-1", "received": "0", "spent": "0"}, format="json")
    assert r.status_code == 400 and "不能为负数" in r.json()["planned"][0]
    assert FundingLine.objects.count() == 0
    r = c.post("/api/funding/lines/", {"project": project.code, "channel": "central_finance", "year": 2025,
                                       "planned": "3000", "received": "0", "spent": "0"}, format="json")
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert r.json()["channel_display"] == "中央财政城市更新补助资金"
    # the channel identifies the line: not changed in place
    r = c.patch(f"/api/funding/lines/{pk}/", {"channel": "treasury_bond"}, format="json")
    assert r.status_code == 403 and "「资金渠道」登记后不能修改" in r.json()["detail"]
    r = api(erqi_editor).patch(f"/api/funding/lines/{pk}/", {"planned": "1"}, format="json")
    assert r.status_code == 404  # not even readable for another district


def test_tranche_flow_over_the_api(plan, zhongyuan_editor, city_admin, finance_user):
    c = api(zhongyuan_editor)
    r = c.post("/api/funding/tranches/", {"project": plan.code, "channel": "central_finance", "year": 2025,
                                          "amount": "3000.5"}, format="json")
    assert r.status_code == 400 and "超过资金计划剩余额度" in r.json()["amount"]
    r = c.post("/api/funding/tranches/", {"project": plan.code, "channel": "central_finance", "year": 2025,
                                          "amount": "-3"}, format="json")
    assert r.status_code == 400 and "不能为负数" in r.json()["amount"]
    assert Tranche.objects.count() == 0
    r = c.post("/api/funding/tranches/", {"project": plan.code, "channel": "central_finance", "year": 2025,
                                          "amount": "3000"}, format="json")
    assert r.status_code == 201 and r.json()["state"] == "requested"
    pk = r.json()["id"]
    assert c.post(f"/api/funding/tranches/{pk}/decide/", {"decision": "approve"}, format="json").status_code == 403
    r = api(city_admin).post(f"/api/funding/tranches/{pk}/decide/", {"decision": "approve"}, format="json")
    assert r.status_code == 200 and r.json()["state_display"] == "区级已审核"
    r = api(finance_user).post(f"/api/funding/tranches/{pk}/decide/", {"decision": "approve"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "approved"
    assert [x["stage"] for x in r.json()["reviews"]] == ["district", "finance"]
    assert Tranche.objects.get().amount == Decimal("3000")


def test_double_funding_endpoint(plan, viewer):
    FundingLine.objects.create(project=plan, channel="vehicle_tax", year=2025, planned=Decimal("10"))
    r = api(viewer).get("/api/funding/double-funding/")
    assert r.status_code == 200
    [row] = r.json()
    assert row["project"] == plan.code and row["channels"] == ["vehicle_tax"] and "四、（二）" in row["citation"]

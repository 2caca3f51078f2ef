"""``/api/performance/``: the same read scope, region scope, field rules and seal as the pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from cityrenew.performance.models import Evaluation, Period, ResidentEvaluation, TargetTable

from .support import filed_table, make_table, second_city

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


@pytest.fixture
def zz(regions):
    return regions["郑州市"]


def test_tables_nested_and_scoped(city_admin, make_user, regions, zz):
    kf = second_city(regions)
    filed_table(zz, kind="overall")
    filed_table(kf)
    data = api(city_admin).get("/api/performance/tables/").json()
    rows = data["results"] if isinstance(data, dict) else data
    assert [r["city"] for r in rows] == [zz.pk]
    (row,) = rows
    assert row["years"] == [2025, 2026, 2027] and row["state"] == "filed"
    periods = row["results"][0]["indicators"][0]["periods"]
    assert [p["year"] for p in periods] == [2025, 2026, 2027] and periods[0]["target"] == "10.0000"
    province = make_user("shengting", "viewer", zz.parent.code)
    data = api(province).get("/api/performance/tables/").json()
    rows = data["results"] if isinstance(data, dict) else data
    assert len(rows) == 2


def test_create_draft_then_seal_refuses_update(city_admin, zhongyuan_editor, zz):
    c = api(city_admin)
    r = c.post("/api/performance/tables/", {"city": zz.pk, "kind": "annual", "year": 2027}, format="json")
    assert r.status_code == 201, r.content
    r = api(zhongyuan_editor).post("/api/performance/tables/", {"city": zz.pk, "kind": "annual", "year": 2028}, format="json")
    assert r.status_code == 403
    table = filed_table(zz)
    r = c.patch(f"/api/performance/tables/{table.pk}/", {"title": "改名"}, format="json")
    assert r.status_code == 400 and "盖章备案" in r.json()["detail"]
    r = c.patch(f"/api/performance/tables/{table.pk}/", {"state": "draft"}, format="json")
    assert r.status_code == 403  # the filing fields are not written through the API
    assert TargetTable.objects.get(pk=table.pk).state == "filed"
    assert c.delete(f"/api/performance/tables/{table.pk}/").status_code == 400


def test_record_actual(city_admin, zhongyuan_editor, zz):
    draft = make_table(zz, year=2026)
    table = filed_table(zz)
    period = Period.objects.get(indicator__result__table=table)
    c = api(city_admin)
    assert c.post(f"/api/performance/periods/{period.pk}/actual/", {"actual": "-1"}, format="json").status_code == 400
    r = api(zhongyuan_editor).post(f"/api/performance/periods/{period.pk}/actual/", {"actual": "3"}, format="json")
    assert r.status_code == 403
    r = c.post(f"/api/performance/periods/{period.pk}/actual/", {"actual": "11", "actual_note": "年报"}, format="json")
    assert r.status_code == 200 and r.json()["achieved"] is True
    assert Period.objects.get(pk=period.pk).actual == Decimal("11")
    other = Period.objects.get(indicator__result__table=draft)
    r = c.post(f"/api/performance/periods/{other.pk}/actual/", {"actual": "1"}, format="json")
    assert r.status_code == 400 and "尚未盖章备案" in r.json()["detail"]


def test_evaluation_and_residents(city_admin, zhongyuan_editor, regions, zz):
    c = api(city_admin)
    r = c.post("/api/performance/evaluations/", {"city": zz.pk, "year": 2025, "evaluator": "财政部", "score": "101",
                                                 "conclusion": "完成"}, format="json")
    assert r.status_code == 400 and not Evaluation.objects.exists()
    r = c.post("/api/performance/evaluations/", {"city": zz.pk, "year": 2025, "evaluator": "财政部", "score": "100",
                                                 "conclusion": "完成"}, format="json")
    assert r.status_code == 201
    from cityrenew.ledgers.models import OldCommunity

    com = OldCommunity(code="LJ-ZY-2", name="工人新村", region=regions["中原区"], built_year=1990)
    com.save()
    body = {"region": regions["中原区"].pk, "community": com.pk, "year": 2025, "held_on": "2025-10-01", "respondents": 10,
            "satisfied": 9, "basically_satisfied": 1, "dissatisfied": 1}
    r = api(zhongyuan_editor).post("/api/performance/resident-evaluations/", body, format="json")
    assert r.status_code == 400 and "超过参评居民 10 户" in str(r.json())
    r = api(zhongyuan_editor).post("/api/performance/resident-evaluations/", body | {"dissatisfied": 0}, format="json")
    assert r.status_code == 201 and r.json()["satisfaction_rate"] == "100.0"
    r = api(zhongyuan_editor).post("/api/performance/resident-evaluations/", body | {"region": regions["二七区"].pk},
                                   format="json")
    assert r.status_code == 403
    assert ResidentEvaluation.objects.count() == 1


def test_release_check_api(city_admin, zz):
    c = api(city_admin)
    r = c.get(f"/api/performance/release-check/?city={zz.pk}&year=2025").json()
    assert r["may_release"] is False and r["blockers"][0].startswith("2025 年度绩效目标表尚未盖章备案")
    filed_table(zz)
    assert c.get(f"/api/performance/release-check/?city={zz.pk}&year=2025").json()["may_release"] is True
    assert c.get("/api/performance/release-check/?city=x").status_code == 400

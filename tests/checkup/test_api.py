"""Check-up API: the same rules as the pages — a department writes only its own indicators."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from cityrenew.checkup import services as svc
from cityrenew.checkup.catalogue import SET_2025
from cityrenew.checkup.models import IndicatorValue

pytestmark = pytest.mark.django_db


def test_api_sets_values_and_problems(sets, regions, city_admin, units, dept_user):
    run = svc.create_run(regions["郑州市"], 2025, sets[SET_2025], city_admin)
    edu = run.tasks.get(department="education")
    clerk = dept_user("api-edu", edu.organisation)
    c = APIClient()
    c.force_authenticate(clerk)
    r = c.get("/api/checkup/indicators/", {"indicator_set__code": SET_2025, "page_size": 100})
    assert r.status_code == 200 and r.json()["count"] == 60
    r = c.get(f"/api/checkup/sets/{sets[SET_2025].pk}/diff/", {"other": "MOHURD-2024"})
    assert [d["number"] for d in r.json()["added"]] == [60]
    r = c.get("/api/checkup/tasks/")
    assert [t["id"] for t in r.json()["results"]] == [edu.pk]
    i22 = run.indicator_set.indicators.get(number=22)
    i30 = run.indicator_set.indicators.get(number=30)
    r = c.post("/api/checkup/values/", {"run": run.pk, "indicator": i22.pk, "value": "93.5"}, format="json")
    assert r.status_code == 201, r.content
    r = c.post("/api/checkup/values/", {"run": run.pk, "indicator": i22.pk, "value": "140"}, format="json")
    assert r.status_code == 400 and "数值应在0～100之间，实际为140" in r.json()["value"]
    r = c.post("/api/checkup/values/", {"run": run.pk, "indicator": i30.pk, "value": "80"}, format="json")
    assert r.status_code == 403 and "市水务部门" in r.json()["detail"]
    assert list(IndicatorValue.objects.filter(run=run).values_list("indicator__number", "value")) == [(22, 93.5)]
    # the clerk reads only its own indicators' values
    IndicatorValue(run=run, indicator=i30, value=80).save()
    r = c.get("/api/checkup/values/", {"run": run.pk})
    assert [v["number"] for v in r.json()["results"]] == [22]
    # only a city admin starts a run; a surveyor role is needed to record problems
    r = c.post("/api/checkup/runs/", {"city": regions["郑州市"].pk, "year": 2026, "indicator_set": sets[SET_2025].pk}, format="json")
    assert r.status_code == 403
    gas = run.indicator_set.indicators.get(number=2)
    r = c.post("/api/checkup/problems/", {"run": run.pk, "indicator": gas.pk, "unit": units["T-B01"].pk}, format="json")
    assert r.status_code == 403
    admin = APIClient()
    admin.force_authenticate(city_admin)
    r = admin.post("/api/checkup/problems/", {"run": run.pk, "indicator": gas.pk, "unit": units["T-B01"].pk,
                                              "sub_problem_code": "2.2.1", "description": "立管锈蚀"}, format="json")
    assert r.status_code == 201 and r.json()["severity"] == "severe"
    r = admin.post(f"/api/checkup/runs/{run.pk}/evaluate/")
    assert r.status_code == 200 and next(e for e in r.json() if e["number"] == 2)["value"] == "1.0000"

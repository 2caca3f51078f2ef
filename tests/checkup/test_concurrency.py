"""Check-up value entry without lost updates: on the task page (hidden versions per value) and
through the API (ETag / If-Match, body row_version) — the second stale write is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cityrenew.checkup import services as svc
from cityrenew.checkup.catalogue import SET_2025
from cityrenew.checkup.models import IndicatorValue
from cityrenew.core.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def education(sets, regions, city_admin, units, dept_user):
    run = svc.create_run(regions["郑州市"], 2025, sets[SET_2025], city_admin)
    task = run.tasks.get(department="education")
    a = dept_user("edu-a", task.organisation)
    b = dept_user("edu-b", task.organisation)
    i22 = run.indicator_set.indicators.get(number=22)  # reported for the whole city
    value = svc.set_value(task, i22, None, "80", a)
    return task, i22, value, a, b


def test_second_stale_entry_on_the_task_page_is_refused(client, education):
    task, i22, value, a, b = education
    url = reverse("checkup:task_values", args=[task.pk])
    key = f"v_{i22.pk}"
    assert client.login(username="edu-b", password="pass-edu-b")
    html = client.get(reverse("checkup:task_detail", args=[task.pk])).content.decode()
    assert f'name="rv_{key}" value="1"' in html  # the version B sees
    client.logout()

    assert client.login(username="edu-a", password="pass-edu-a")
    assert client.post(url, {key: "90", f"rv_{key}": "1"}).status_code == 302
    client.logout()

    assert client.login(username="edu-b", password="pass-edu-b")
    before = AuditLog.objects.count()
    r = client.post(url, {key: "95", f"rv_{key}": "1"})
    assert r.status_code == 409
    html = r.content.decode()
    assert "已被他人修改" in html and "数值：80 → 90" in html and "edu-a" in html
    assert 'value="95"' in html  # B's input kept
    assert f'name="rv_{key}" value="2"' in html  # …with the current version
    assert IndicatorValue.objects.get(pk=value.pk).value == Decimal("90")
    assert AuditLog.objects.count() == before
    # after reading, B saves again on the current version
    assert client.post(url, {key: "95", f"rv_{key}": "2"}).status_code == 302
    assert IndicatorValue.objects.get(pk=value.pk).value == Decimal("95")


def test_api_value_upsert_honours_if_match_and_row_version(education):
    task, i22, value, a, b = education
    ca, cb = APIClient(), APIClient()
    ca.force_authenticate(a)
    cb.force_authenticate(b)
    r = cb.get(f"/api/checkup/values/{value.pk}/")
    assert r.status_code == 200 and r["ETag"] == '"1"' and r.json()["row_version"] == 1
    body = {"run": task.run.pk, "indicator": i22.pk, "value": "91"}
    r = ca.post("/api/checkup/values/", body, format="json", HTTP_IF_MATCH='"1"')
    assert r.status_code == 201 and r.json()["row_version"] == 2
    # B still holds version 1: If-Match → 412, body row_version → 409; nothing written
    r = cb.post("/api/checkup/values/", {**body, "value": "92"}, format="json", HTTP_IF_MATCH='"1"')
    assert r.status_code == 412 and "数值：80 → 91" in r.json()["detail"]
    r = cb.post("/api/checkup/values/", {**body, "value": "92", "row_version": 1}, format="json")
    assert r.status_code == 409 and r.json()["row_version"] == 2
    assert IndicatorValue.objects.get(pk=value.pk).value == Decimal("91")
    r = cb.post("/api/checkup/values/", {**body, "value": "92", "row_version": 2}, format="json")
    assert r.status_code == 201 and IndicatorValue.objects.get(pk=value.pk).value == Decimal("92")

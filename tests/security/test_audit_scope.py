"""Audit entries are readable only by users who may read the object they describe: /api/audit/,
the /audit/ page, its xlsx export and each object's history (one rule: core.permissions.visible_audit)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from cityrenew.core.models import AuditLog

from .conftest import api

pytestmark = pytest.mark.django_db


def api_rows(user) -> list[dict]:
    c = api(user)
    page = c.get("/api/audit/").json()
    out = list(page["results"])
    while page.get("next"):
        page = c.get(page["next"]).json()
        out += page["results"]
    return out


def api_object_ids(user, model: str) -> set[str]:
    return {r["object_id"] for r in api_rows(user) if r["content_type"].endswith("." + model)}


def page_text(client, user, url: str) -> str:
    client.force_login(user)
    return client.get(url).content.decode()


def export_rows(client, user) -> list[tuple]:
    client.force_login(user)
    r = client.get("/audit/export.xlsx")
    assert r.status_code == 200
    return list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))


def test_department_user_reads_only_its_own_departments_values(client, role_users, sets, regions, units, dept_user):
    from cityrenew.checkup import services as svc
    from cityrenew.checkup.catalogue import SET_2025

    admin = role_users["city_admin"]
    run = svc.create_run(regions["郑州市"], 2025, sets[SET_2025], admin)
    edu, water = run.tasks.get(department="education"), run.tasks.get(department="water")
    edu_clerk, water_clerk = dept_user("aud-edu", edu.organisation), dept_user("aud-water", water.organisation)
    i22, i30 = run.indicator_set.indicators.get(number=22), run.indicator_set.indicators.get(number=30)
    v22 = svc.set_value(edu, i22, None, "93.5", edu_clerk)
    v30 = svc.set_value(water, i30, None, "87.25", water_clerk)

    # the API
    assert api_object_ids(edu_clerk, "indicatorvalue") == {str(v22.pk)}
    assert api_object_ids(water_clerk, "indicatorvalue") == {str(v30.pk)}
    assert api_object_ids(admin, "indicatorvalue") == {str(v22.pk), str(v30.pk)}
    assert str(water.pk) not in api_object_ids(edu_clerk, "departmenttask")
    assert not any("87.25" in str(r["changes"]) for r in api_rows(edu_clerk))
    # the page and its export
    assert "87.25" not in page_text(client, edu_clerk, "/audit/")
    assert "87.25" in page_text(client, water_clerk, "/audit/")
    # the 操作人 filter lists only people whose entries the clerk may read
    html = page_text(client, edu_clerk, "/audit/")
    assert ">aud-edu<" in html and ">aud-water<" not in html
    texts = ["|".join(str(c) for c in row) for row in export_rows(client, edu_clerk)]
    assert any("93.5" in t for t in texts) and not any("87.25" in t for t in texts)
    assert any("87.25" in t for t in ["|".join(str(c) for c in row) for row in export_rows(client, admin)])
    # the other department's task history
    html = page_text(client, edu_clerk, f"/checkup/tasks/{water.pk}/")
    assert "87.25" not in html
    # anonymous: nothing
    assert api(None).get("/api/audit/").status_code in (401, 403)


def test_district_user_reads_only_its_districts_projects(client, role_users, small_library, make_user):
    from cityrenew.core import audit

    zhongyuan, erqi, multi = small_library["zhongyuan"], small_library["erqi"], small_library["multi"]
    with audit.actor(role_users["city_admin"], "web"):
        erqi.total_investment = Decimal("250.125")
        erqi.save()
    editor = role_users["district_editor"]
    erqi_editor = make_user("aud-erqi", "district_editor", "410103")

    seen = api_object_ids(editor, "renewalproject")
    assert str(zhongyuan.pk) in seen and str(multi.pk) in seen and str(erqi.pk) not in seen
    assert str(small_library["erqi_funding"].pk) not in api_object_ids(editor, "projectfunding")
    assert str(small_library["zhongyuan_funding"].pk) in api_object_ids(editor, "projectfunding")
    assert str(erqi.pk) in api_object_ids(erqi_editor, "renewalproject")
    assert str(zhongyuan.pk) not in api_object_ids(erqi_editor, "renewalproject")
    assert {str(p.pk) for p in (zhongyuan, erqi, multi)} <= api_object_ids(role_users["viewer"], "renewalproject")
    # the page, the export, the home page's recent changes and the project's own history
    assert "250.125" not in page_text(client, editor, "/audit/")
    assert "250.125" in page_text(client, erqi_editor, "/audit/")
    assert not any("二七南部城区项目" in "|".join(map(str, row)) for row in export_rows(client, editor))
    assert any("二七南部城区项目" in "|".join(map(str, row)) for row in export_rows(client, erqi_editor))
    assert "250.125" not in page_text(client, editor, "/")
    history = page_text(client, editor, f"/projects/{erqi.code}/")
    assert "250.125" not in history.split('id="history"', 1)[-1]
    assert "250.125" in page_text(client, erqi_editor, f"/projects/{erqi.code}/").split('id="history"', 1)[-1]
    # role assignments (who may do what) are for the city admin only
    assert not any(r["content_type"] == "core.roleassignment" for r in api_rows(editor))
    assert AuditLog.objects.filter(content_type__model="roleassignment").exists()
    assert any(r["content_type"] == "core.roleassignment" for r in api_rows(role_users["city_admin"]))

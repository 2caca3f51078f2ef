"""Formula injection in the check-up exports: 问题清单, 整治建议清单, department and unit templates."""

from __future__ import annotations

import io

from django.urls import reverse
from openpyxl import load_workbook

from cityrenew.checkup import services as svc
from cityrenew.checkup.catalogue import SET_2025

EVIL = '=HYPERLINK("http://x","y")'
EVIL_NAMES = {"T-B01": EVIL, "T-X01": "=1+1", "T-J01": "@SUM(1)"}  # user-typed unit names


def formula_cells(data: bytes) -> list[str]:
    wb = load_workbook(io.BytesIO(data))
    return [f"{ws.title}!{c.coordinate}" for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]


def evil_cells(data: bytes) -> list:
    wb = load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value in EVIL_NAMES.values()]


def test_problem_lists_and_templates_write_user_text_as_text(client, sets, regions, units, city_admin):
    run = svc.create_run(regions["郑州市"], 2025, sets[SET_2025], city_admin)
    for code, name in EVIL_NAMES.items():
        units[code].name = name
        units[code].save()
    building = units["T-B01"]
    ind1 = run.indicator_set.indicators.get(number=1)
    svc.record_problem(run, ind1, building, city_admin, sub_problem="2.1.1", description=EVIL)
    client.force_login(city_admin)
    urls = [
        reverse("checkup:issue_list_export", args=[run.pk]),
        reverse("checkup:remediation_list_export", args=[run.pk]),
    ]
    # the department templates that list the building (its 填报表 or 体检单元 sheet)
    templates = [reverse("checkup:task_template", args=[t.pk]) for t in run.tasks.all()]
    listing = [u for u in templates if evil_cells(client.get(u).content)]
    assert listing, "no department template lists the unit"
    for url in urls + listing:
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert formula_cells(resp.content) == [], url
        hits = evil_cells(resp.content)
        assert hits, f"{url}: the text is not in the export"
        assert all(c.data_type == "s" and c.quotePrefix for c in hits), url
    resp = client.get(reverse("checkup:unit_template"))
    assert resp.status_code == 200 and formula_cells(resp.content) == []

"""Ledger pages and API through the Django test client: list filters, detail with history, edit and
delete within the region scope, the import page, the template download, the xlsx export (formulas
neutralised) and the REST API."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cityrenew.core.models import AuditLog, Region
from cityrenew.ledgers.models import Equipment

pytestmark = pytest.mark.django_db


def login(client, user) -> None:
    assert client.login(username=user.username, password="pass-" + user.username)


@pytest.fixture
def rows(regions):
    zy, eq = regions["中原区"], regions["二七区"]
    a = Equipment(code="GAS-ZY-1", name="中原路燃气管", category="燃气管道", material="灰口铸铁", region=zy,
                  commissioned="2001-03-01", length_km="2.5")
    a.save()
    b = Equipment(code="BLR-EQ-1", name="=HYPERLINK(\"http://x\",\"点击\")", category="燃煤锅炉", capacity_tph="20",
                  region=eq, commissioned="2010-01-01")
    b.save()
    return a, b


def test_list_filters_and_nav(client, city_admin, rows):
    login(client, city_admin)
    home = client.get("/")
    assert 'href="/ledgers/"' in home.content.decode()
    r = client.get("/ledgers/equipment/", {"region": Region.objects.get(name="中原区", level="district").pk})
    html = r.content.decode()
    assert r.status_code == 200 and "GAS-ZY-1" in html and "BLR-EQ-1" not in html
    html = client.get("/ledgers/equipment/", {"category": "燃煤锅炉"}).content.decode()
    assert "BLR-EQ-1" in html and "GAS-ZY-1" not in html
    index = client.get("/ledgers/").content.decode()
    assert "设施设备" in index and "城镇老旧小区" in index and "下载模板" in index


def test_detail_shows_history_and_verdict_block(client, city_admin, rows):
    login(client, city_admin)
    a, _ = rows
    html = client.get(f"/ledgers/equipment/{a.pk}/").content.decode()
    assert "中原路燃气管" in html and "变更记录" in html and "灰口铸铁" in html


def test_district_editor_edits_own_district_only(client, zhongyuan_editor, rows):
    a, b = rows
    login(client, zhongyuan_editor)
    assert client.get(f"/ledgers/equipment/{b.pk}/edit/").status_code == 403
    r = client.post(f"/ledgers/equipment/{b.pk}/delete/", {"row_version": b.row_version})
    assert r.status_code == 403 and Equipment.objects.filter(pk=b.pk).exists()
    page = client.get(f"/ledgers/equipment/{a.pk}/edit/")
    assert page.status_code == 200
    form = page.context["form"]
    assert set(form.fields["region"].queryset.values_list("name", flat=True)) >= {"中原区"}
    assert "二七区" not in set(form.fields["region"].queryset.values_list("name", flat=True))
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields and k not in ("items_basic",)}
    data.update(material="球墨铸铁", region=a.region_id, row_version=a.row_version, commissioned="2001-03-01")
    data = {k: v for k, v in data.items() if v not in (None,)}
    r = client.post(f"/ledgers/equipment/{a.pk}/edit/", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    a.refresh_from_db()
    assert a.material == "球墨铸铁"
    assert AuditLog.objects.filter(object_id=str(a.pk), content_type__model="equipment").first().changes["material"] == ["灰口铸铁", "球墨铸铁"]
    # moving the row to 二七区 is not offered: the form refuses it
    data.update(region=b.region_id, row_version=a.row_version)
    r = client.post(f"/ledgers/equipment/{a.pk}/edit/", data)
    assert r.status_code == 400 and "所选区域不在您的授权区划范围内" in r.content.decode()


def test_export_neutralises_formulas_and_reimports(client, city_admin, rows):
    login(client, city_admin)
    r = client.get("/ledgers/equipment/", {"export": "xlsx", "category": "燃煤锅炉"})
    ws = load_workbook(io.BytesIO(r.content)).active
    headers = [c.value for c in ws[1]]
    assert headers[:10] == ["编号", "设备类别", "材质", "投用日期", "额定蒸发量（蒸吨/小时）", "能效等级", "排放达标", "安全隐患",
                            "检验结论", "所在区域"]
    assert ws.max_row == 2  # the filter applies
    name = ws.cell(row=2, column=headers.index("名称") + 1)
    assert name.value.startswith("=HYPERLINK") and name.data_type == "s" and name.quotePrefix
    from cityrenew.ledgers.importer import import_ledger

    upload = io.BytesIO(r.content)
    upload.name = "export.xlsx"
    report = import_ledger(upload, "equipment")
    assert report.ok and (report.created, report.updated, report.unchanged) == (0, 0, 1)


def test_template_download_and_import_page(client, zhongyuan_editor, viewer, regions):
    login(client, zhongyuan_editor)
    r = client.get("/ledgers/equipment/template.xlsx")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["设施设备台账", "选项", "说明"]
    assert [c.value for c in wb.worksheets[0][1]][:10] == ["编号", "设备类别", "材质", "投用日期", "额定蒸发量（蒸吨/小时）", "能效等级",
                                                          "排放达标", "安全隐患", "检验结论", "所在区域"]
    assert wb.worksheets[0].data_validations.dataValidation  # drop-down lists
    csv = "编号,设备类别,投用日期,所在区域\nW-1,供水管道,2005-01-01,中原区\nW-2,供水管道,2005-01-01,二七区\n".encode()
    upload = io.BytesIO(csv)
    upload.name = "water.csv"
    r = client.post("/ledgers/equipment/import/", {"file": upload, "dry_run": "on"})
    html = r.content.decode()
    assert r.status_code == 400 and "第 3 行「所在区域」：无权导入“二七区”的台账" in html and not Equipment.objects.exists()
    upload = io.BytesIO(csv.splitlines()[0] + b"\n" + csv.splitlines()[1] + b"\n")
    upload.name = "water.csv"
    r = client.post("/ledgers/equipment/import/", {"file": upload, "dry_run": "on"})
    assert r.status_code == 200 and "校验通过" in r.content.decode() and not Equipment.objects.exists()
    token = r.context["token"]
    r = client.post("/ledgers/equipment/import/", {"confirm": "1", "token": token, "filename": "water.csv"})
    assert r.status_code == 200 and Equipment.objects.get(code="W-1").region.name == "中原区"
    client.logout()
    login(client, viewer)
    assert client.get("/ledgers/equipment/import/").status_code == 403


def api(user) -> APIClient:
    c = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    c.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return c


def test_api_read_write_through_region_scope(zhongyuan_editor, rows):
    a, b = rows
    c = api(zhongyuan_editor)
    r = c.get("/api/ledgers/equipment/", {"category": "燃气管道"})
    assert r.status_code == 200 and [x["code"] for x in r.json()["results"]] == ["GAS-ZY-1"]
    assert r.json()["results"][0]["category_display"] == "燃气管道" and r.json()["results"][0]["can_edit"] is True
    r = c.patch(f"/api/ledgers/equipment/{b.pk}/", {"material": "钢质"}, format="json")
    assert r.status_code == 403 and "超出您的授权区划范围" in r.json()["detail"]
    r = c.patch(f"/api/ledgers/equipment/{a.pk}/", {"hazard": True, "location": {"type": "Point", "coordinates": [113.62, 34.75]}},
                format="json")
    assert r.status_code == 200, r.json()
    a.refresh_from_db()
    assert a.hazard is True and a.location.x == pytest.approx(113.62)
    r = c.post("/api/ledgers/equipment/", {"code": "X-9", "category": "住宅电梯", "region": b.region_id}, format="json")
    assert r.status_code == 403 and not Equipment.objects.filter(code="X-9").exists()
    r = c.post("/api/ledgers/equipment/", {"code": "X-9", "category": "住宅电梯", "region": a.region_id}, format="json")
    assert r.status_code == 201
    r = c.patch(f"/api/ledgers/equipment/{a.pk}/", {"code": "NEW"}, format="json")
    assert r.status_code == 403 and "编号" in r.json()["detail"]
    r = c.delete(f"/api/ledgers/equipment/{b.pk}/")
    assert r.status_code == 403 and Equipment.objects.filter(pk=b.pk).exists()


def test_large_page_import_runs_as_background_job(client, city_admin, regions, settings):
    from cityrenew.jobs.models import Job
    from cityrenew.jobs.runner import run_pending

    settings.CITYRENEW_IMPORT_JOB_ROWS = 2  # files above 2 rows go to the job runner
    login(client, city_admin)
    body = "编号,设备类别,投用日期,所在区域\n" + "".join(f"W-{i},供水管道,2005-01-0{i},中原区\n" for i in range(1, 6))
    upload = io.BytesIO(body.encode())
    upload.name = "water.csv"
    r = client.post("/ledgers/equipment/import/", {"file": upload})  # dry_run unticked: import at once
    job = Job.objects.get(kind="ledgers.import")
    assert r.status_code == 302 and r["Location"] == job.get_absolute_url()
    assert not Equipment.objects.exists()
    run_pending()
    job.refresh_from_db()
    assert job.status == "succeeded" and "新增 5 行" in job.result_summary["text"]
    assert Equipment.objects.count() == 5 and job.owner == city_admin

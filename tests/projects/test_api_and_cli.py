"""REST API permissions (every write endpoint), the filterset, the OpenAPI schema and the real CLI."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cityrenew.core.models import AuditLog
from cityrenew.projects.filtersets import ProjectFilterSet
from cityrenew.projects.importer import import_projects
from cityrenew.projects.models import AdjustmentBatch, ProjectFunding, RenewalProject
from cityrenew.projects.permissions import can_edit_project, editable_projects

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(regions, reference_data):
    assert import_projects(reference_data / "zhengzhou_projects.csv", batch_no="郑州市城市更新项目库", batch_type="初始入库").ok
    return regions


def client_for(user) -> APIClient:
    c = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    c.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return c


def new_project(regions, district="中原区", code="K202601001"):
    return {"code": code, "name": "测试项目", "districts": [regions[district].id], "total_investment": "1.500000"}


def test_anonymous_gets_401(library):
    assert APIClient().get("/api/projects/").status_code in (401, 403)


def test_list_filters_and_pagination(library, viewer):
    c = client_for(viewer)
    r = c.get("/api/projects/", {"district": library["中原区"].id, "ordering": "-total_investment"})
    assert r.status_code == 200
    data = r.json()
    assert data["count"] == 26  # 25 + the cross-district project
    assert data["results"][0]["total_investment"] == "457.470000"  # 中原区西岗、柿园片区, the largest
    assert data["results"][0]["can_edit"] is False
    r = c.get("/api/projects/", {"q": "一河两岸", "ordering": "code"}).json()
    assert [p["code"] for p in r["results"]] == ["K202201001", "K202415002"]
    assert all("一河两岸" in p["name"] for p in r["results"])
    assert r["results"][0]["district_names"] == ["中原区", "二七区", "金水区"]
    r = c.get("/api/projects/", {"investment_min": "100"}).json()
    assert r["count"] == 17
    assert len(c.get("/api/projects/").json()["results"]) == 50


def test_filterset_by_region_group_investment_and_batch(library):
    g = library["中原区"].group
    fs = ProjectFilterSet({"region_group": g.id, "investment_max": "1"}, queryset=RenewalProject.objects.all())
    assert fs.is_valid()
    assert fs.qs.count() == RenewalProject.objects.filter(region_group=g, total_investment__lte=1).count() > 0
    batch = AdjustmentBatch.objects.get()
    assert ProjectFilterSet({"batch": batch.id}, queryset=RenewalProject.objects.all()).qs.count() == 276
    fs = ProjectFilterSet({"district": library["郑州市"].id, "ordering": "code"}, queryset=RenewalProject.objects.all())
    assert fs.qs.count() == 276 and fs.qs.first().code == "K202201001"


def test_summary_endpoint(library, viewer):
    c = client_for(viewer)
    s = c.get("/api/projects-summary/").json()
    assert s["total"] == "7895.45" and s["count"] == 276
    assert s["multi_district"][0]["total"] == "388.00"
    s = c.get("/api/projects-summary/", {"region_group": library["中原区"].group_id}).json()
    assert (s["total"], s["count"]) == ("4748.34", 122)
    assert c.get("/api/projects-summary/", {"as_of": "郑州市城市更新项目库"}).json()["total"] == "7895.45"


def test_schema_renders(library, viewer):
    r = client_for(viewer).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert r.status_code == 200
    schema = json.loads(r.content)
    for p in ["/api/projects/", "/api/projects/{id}/", "/api/batches/", "/api/fundings/", "/api/projects-summary/"]:
        assert p in schema["paths"], p


def test_district_editor_writes_only_own_district(library, zhongyuan_editor, erqi_editor):
    c = client_for(zhongyuan_editor)
    erqi_project = RenewalProject.objects.get(code="K202201023") if RenewalProject.objects.filter(code="K202201023").exists() else \
        RenewalProject.objects.filter(districts=library["二七区"]).exclude(code="K202201001").first()
    own = RenewalProject.objects.filter(districts=library["中原区"]).exclude(code="K202201001").first()
    multi = RenewalProject.objects.get(code="K202201001")
    before = (RenewalProject.objects.count(), AuditLog.objects.count())

    # create in another district → 403 with a Chinese message
    r = c.post("/api/projects/", new_project(library, "二七区"), format="json")
    assert r.status_code == 403 and "无权在所选区域新建项目" in r.json()["detail"]
    # update / partial update / delete another district's project → 403
    for method, payload in [("put", {**new_project(library, "二七区", erqi_project.code), "name": "改"}),
                            ("patch", {"name": "改名"}), ("delete", None)]:
        r = getattr(c, method)(f"/api/projects/{erqi_project.code}/", payload, format="json")
        assert r.status_code == 403, method
        assert r.json()["detail"] == f"无权修改项目 {erqi_project.code}：该项目所在区域超出您的编辑范围。"
    # the cross-district project spans other districts → 403 too
    assert c.patch(f"/api/projects/{multi.pk}/", {"name": "改名"}, format="json").status_code == 403
    # moving an own project into another district → 403
    r = c.patch(f"/api/projects/{own.code}/", {"districts": [library["二七区"].id]}, format="json")
    assert r.status_code == 403 and "无权把项目" in r.json()["detail"]
    # fundings of another district's project: create / update / delete → 403
    r = c.post("/api/fundings/", {"project": erqi_project.pk, "source": "special_bond", "amount": "1"}, format="json")
    assert r.status_code == 403
    with_funding = ProjectFunding.objects.create(project=erqi_project, source="credit", amount=2)
    assert c.patch(f"/api/fundings/{with_funding.pk}/", {"amount": "3"}, format="json").status_code == 403
    assert c.delete(f"/api/fundings/{with_funding.pk}/").status_code == 403
    # batches are city-admin only
    assert c.post("/api/batches/", {"city": library["郑州市"].id, "doc_number": "X", "batch_type": "add"}, format="json").status_code == 403
    batch = AdjustmentBatch.objects.get()
    assert c.patch(f"/api/batches/{batch.pk}/", {"note": "x"}, format="json").status_code == 403
    assert c.delete(f"/api/batches/{batch.pk}/").status_code == 403
    assert (RenewalProject.objects.count(), AuditLog.objects.count() - 1) == before  # only the funding fixture was logged
    erqi_project.refresh_from_db()
    assert erqi_project.name != "改名" and ProjectFunding.objects.get().amount == 2

    # …and succeeds in its own district, each change audited with the user
    r = c.post("/api/projects/", new_project(library), format="json")
    assert r.status_code == 201, r.content
    created = RenewalProject.objects.get(code="K202601001")
    assert created.region_group.name == "市内五区" and created.city.name == "郑州市"
    r = c.patch(f"/api/projects/{own.code}/", {"name": own.name + "（调整）", "total_investment": "9.9"}, format="json")
    assert r.status_code == 200, r.content
    log = AuditLog.for_object(own).first()
    assert log.user == zhongyuan_editor and log.source == "api"
    assert log.changes["name"][1].endswith("（调整）") and Decimal(log.changes["total_investment"][1]) == Decimal("9.9")
    r = c.post("/api/fundings/", {"project": own.pk, "source": "special_bond", "amount": "1.25"}, format="json")
    assert r.status_code == 201
    assert c.delete(f"/api/projects/{created.code}/").status_code == 204
    assert AuditLog.objects.filter(object_id=str(created.pk), action="delete", user=zhongyuan_editor).exists()
    # the other editor cannot touch it
    assert client_for(erqi_editor).patch(f"/api/projects/{own.code}/", {"name": "x"}, format="json").status_code == 403


def test_viewer_cannot_write(library, viewer):
    c = client_for(viewer)
    p = RenewalProject.objects.first()
    assert c.post("/api/projects/", new_project(library), format="json").status_code == 403
    assert c.patch(f"/api/projects/{p.code}/", {"name": "x"}, format="json").status_code == 403
    assert c.delete(f"/api/projects/{p.code}/").status_code == 403


def test_permission_helpers(library, zhongyuan_editor, city_admin):
    multi = RenewalProject.objects.get(code="K202201001")
    assert not can_edit_project(zhongyuan_editor, multi)
    assert can_edit_project(city_admin, multi)
    mine = editable_projects(zhongyuan_editor)
    assert mine.count() == 25 and not mine.filter(code="K202201001").exists()
    assert editable_projects(city_admin).count() == 276


def test_api_validation_messages_are_chinese(library, city_admin):
    c = client_for(city_admin)
    r = c.post("/api/projects/", {**new_project(library), "code": "X2022"}, format="json")
    assert r.status_code == 400 and "项目编号格式不正确" in r.json()["code"][0]
    r = c.post("/api/projects/", {**new_project(library), "districts": []}, format="json")
    assert r.status_code == 400 and r.json()["districts"] == ["至少选择一个所在区域"]


# --- the real console script against a scratch database (SQLite file, or PostgreSQL in CI) -------

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_cli_import_summary_export(tmp_path, reference_data, migrated_cli):
    cli = migrated_cli
    bad = tmp_path / "bad.csv"
    bad.write_text("序号,项目编号,项目名称,项目总投资（亿元）,区域\n1,X2022,坏行,1,中原区\n", encoding="utf-8")
    r = cli("shell", "-c", "from cityrenew.core.regions import load_regions; load_regions()")
    assert r.returncode == 0, r.stderr
    r = cli("projects", "import", str(bad))
    assert r.returncode != 0
    assert "第 2 行「项目编号」：格式不正确，应为 K+年份+批次+序号（如 K202201001），实际为“X2022”" in r.stdout
    r = cli("projects", "import", str(reference_data / "zhengzhou_projects.csv"), "--dry-run")
    assert r.returncode == 0 and "试导入" in r.stdout
    r = cli("projects", "import", str(reference_data / "zhengzhou_projects.csv"), "--quiet-rows")
    assert r.returncode == 0, r.stderr
    assert "新增 276 个" in r.stdout
    r = cli("projects", "import", str(reference_data / "zhengzhou_new_2025.csv"),
            "--batch-no", "郑建文〔2025〕45号", "--batch-type", "新增入库")
    assert r.returncode == 0 and "不变 23 个" in r.stdout
    r = cli("projects", "summary", "--format", "json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["total"] == "7895.45" and s["count"] == 276
    assert [(g["name"], g["total"]) for g in s["groups"]] == [("市内五区", "4748.34"), ("各开发区", "1636.54"), ("各区县（市）", "1510.57")]
    assert s["groups"][0]["districts"][0] == {"name": "中原区", "total": "947.99", "count": 25}
    assert s["multi_district"] == [{"code": "K202201001", "districts": ["中原区", "二七区", "金水区"], "total": "388.00"}]
    out = tmp_path / "lib.xlsx"
    r = cli("projects", "export", "--out", str(out), "--layout", "library")
    assert r.returncode == 0 and out.stat().st_size > 10_000
    r = cli("projects", "import", str(out))
    assert r.returncode == 0 and "不变 276 个" in r.stdout
    r = cli("projects", "summary", "--as-of", "不存在的文号")
    assert r.returncode != 0 and "未找到调整批次" in r.stderr


def test_choice_labels_match_the_models_display(library, viewer):
    """category_display / status_display come from the field's choices: the same text as get_FOO_display
    for every choice, and the stored value itself when it is not a choice (an empty category)."""
    from cityrenew.projects.choices import ProjectCategory, ProjectStatus

    project = RenewalProject.objects.get(code="K202201001")
    c = client_for(viewer)
    for category, status in zip(ProjectCategory.values, ProjectStatus.values * 3):
        RenewalProject.objects.filter(pk=project.pk).update(category=category, status=status)
        project.refresh_from_db()
        body = c.get(f"/api/projects/{project.code}/").json()
        assert (body["category"], body["status"]) == (category, status)
        assert body["category_display"] == project.get_category_display()
        assert body["status_display"] == project.get_status_display()
    RenewalProject.objects.filter(pk=project.pk).update(category="")
    assert c.get(f"/api/projects/{project.code}/").json()["category_display"] == ""


def test_location_through_the_api_is_geojson_checked_and_says_who_placed_it(library, zhongyuan_editor):
    c = client_for(zhongyuan_editor)
    own = RenewalProject.objects.filter(districts=library["中原区"]).exclude(code="K202201001").first()
    area = {"type": "Polygon", "coordinates": [[[113.60, 34.74], [113.61, 34.74], [113.61, 34.75], [113.60, 34.75], [113.60, 34.74]]]}
    r = c.patch(f"/api/projects/{own.code}/", {"location": area}, format="json")
    assert r.status_code == 200, r.content.decode()
    assert r.json()["location"]["type"] == "Polygon" and r.json()["location"]["coordinates"] == area["coordinates"]
    own.refresh_from_db()
    assert own.location.geom_type == "Polygon" and own.location.srid == 4326
    assert own.location_source.startswith(zhongyuan_editor.get_full_name() or zhongyuan_editor.username)
    assert "在地图上标绘或经接口写入" in own.location_source
    entry = AuditLog.for_object(own).first()
    assert entry.user == zhongyuan_editor and set(entry.changes) >= {"location", "location_source"}
    # projected metres are not degrees: refused in Chinese, nothing written
    before = own.row_version
    r = c.patch(f"/api/projects/{own.code}/", {"location": {"type": "Point", "coordinates": [455000.0, 3846000.0]}}, format="json")
    assert r.status_code == 400 and "坐标超出经纬度范围" in r.json()["location"][0]
    own.refresh_from_db()
    assert own.row_version == before and own.location.geom_type == "Polygon"
    # a self-intersecting area is repaired, never stored invalid
    bowtie = {"type": "Polygon", "coordinates": [[[113.60, 34.74], [113.61, 34.75], [113.61, 34.74], [113.60, 34.75], [113.60, 34.74]]]}
    r = c.patch(f"/api/projects/{own.code}/", {"location": bowtie}, format="json")
    assert r.status_code == 200
    own.refresh_from_db()
    assert own.location.valid and own.location.geom_type == "MultiPolygon"
    # clearing the location clears its source
    r = c.patch(f"/api/projects/{own.code}/", {"location": None}, format="json")
    assert r.status_code == 200
    own.refresh_from_db()
    assert own.location is None and own.location_source == ""

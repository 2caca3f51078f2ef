"""Core pages: login, 工作台, 行政区划, 审计日志 (with Excel export), and the API (政策库: tests/policies)."""

import io

import pytest
from openpyxl import load_workbook

from cityrenew.core import audit
from cityrenew.core.models import AuditLog, Organisation

pytestmark = pytest.mark.django_db


def test_pages_need_login(client):
    for url in ["/", "/regions/", "/audit/", "/policies/"]:
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Location"].startswith("/login/"), url


def test_wrong_password_message(client, viewer):
    resp = client.post("/login/", {"username": "viewer1", "password": "wrong"})
    assert "用户名或密码不正确" in resp.content.decode()


def test_core_pages_render_in_chinese(client, viewer, regions):
    client.force_login(viewer)
    home = client.get("/").content.decode()
    assert "工作台" in home and "只读用户" in home
    regions_page = client.get("/regions/").content.decode()
    assert "管城回族区" in regions_page and "GB/T 2260" in regions_page
    detail = client.get(regions["中原区"].get_absolute_url()).content.decode()
    assert "绿东村街道" in detail and "变更记录" in detail


def test_english_is_available(client, viewer):
    client.force_login(viewer)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/regions/").content.decode()
    assert 'lang="en"' in page


def test_audit_log_page_filters_and_exports(client, city_admin, viewer, regions):
    with audit.actor(city_admin, "web"):
        org = Organisation.objects.create(name="审计测试单位", kind="entity", region=regions["二七区"])
        org.contact = "张三"
        org.save()
    client.force_login(viewer)
    page = client.get("/audit/", {"q": "审计测试单位", "action": "update"}).content.decode()
    assert "张三" in page and ">市管理员<" in page  # the person's name (account name in the tooltip)
    assert "共 1 条" in page
    resp = client.get("/audit/export.xlsx", {"q": "审计测试单位"})
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:5] == ("时间（北京时间）", "操作人", "账号", "来源", "动作")
    assert {r[4] for r in rows[1:]} == {"新增", "修改"}
    assert all(r[1] == "市管理员" and r[2] == "cityadmin" for r in rows[1:])


def test_api_token_auth_and_audit_query(client, city_admin, regions):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=city_admin)
    assert client.get("/api/regions/").status_code in (401, 403)
    resp = client.get("/api/regions/", {"level": "district"}, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert resp.status_code == 200
    names = {r["name"] for r in resp.json()["results"]}
    assert {"中原区", "郑东新区", "登封市"} <= names
    resp = client.get("/api/audit/", {"content_type": "", "q": "中原区"}, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert resp.status_code == 200 and resp.json()["count"] >= 1
    assert AuditLog.objects.filter(object_repr="中原区", action="create").exists()


def test_attachments_need_sign_in_and_an_object_that_owns_them(client, viewer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "checkup" / "photos").mkdir(parents=True)
    (tmp_path / "checkup" / "photos" / "crack.jpg").write_bytes(b"\xff\xd8photo")
    (tmp_path / "project-imports").mkdir()
    (tmp_path / "project-imports" / ("a" * 32 + ".csv")).write_text("code,name\n")
    resp = client.get("/media/checkup/photos/crack.jpg")
    assert resp.status_code == 302 and resp["Location"].startswith("/login/")
    client.force_login(viewer)
    # a file on disk that no photo or evidence row refers to is not served (tests/checkup/test_attachments.py
    # serves real ones)
    assert client.get("/media/checkup/photos/crack.jpg").status_code == 404
    # files kept between an import's dry run and its confirmation are never served
    assert client.get("/media/project-imports/" + "a" * 32 + ".csv").status_code == 404
    assert client.get("/media/checkup/photos/../../project-imports/" + "a" * 32 + ".csv").status_code == 404

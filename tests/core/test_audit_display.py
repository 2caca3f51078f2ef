"""The audit log reads as people say it: field labels, choice labels, names, Beijing time, no paths.

One display function (:func:`cityrenew.core.audit.display_entries`) serves the /audit/ page, every
object's history and the xlsx export; each is checked here on real rows and a real xlsx file.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from cityrenew.checkup.models import Evidence
from cityrenew.core import audit
from cityrenew.core.models import AuditLog
from cityrenew.projects.choices import ProjectCategory, ProjectStatus
from cityrenew.projects.models import RenewalProject

pytestmark = pytest.mark.django_db


@pytest.fixture
def changes(city_admin, regions, settings, tmp_path):
    """A project created, then moved to 实施 at 12:15 UTC; an evidence file uploaded."""
    settings.MEDIA_ROOT = tmp_path
    with audit.actor(city_admin, "web"):
        p = RenewalProject.objects.create(
            code="K202501001", name="测试老旧小区项目", city=regions["郑州市"], total_investment=Decimal("1.5"),
            category=ProjectCategory.OLD_COMMUNITY, status=ProjectStatus.LIBRARY,
        )
        p.districts.add(regions["中原区"])
        p.status = ProjectStatus.IMPLEMENTING
        p.save()
        ev = Evidence.objects.create(file=SimpleUploadedFile("现场照片说明.pdf", b"%PDF-1.4\n"))
    AuditLog.objects.filter(object_id=str(p.pk), content_type__model="renewalproject", action="update",
                            changes__has_key="status").update(timestamp=dt.datetime(2026, 11, 30, 12, 15, tzinfo=dt.timezone.utc))
    return p, ev


def test_display_entries_speak_chinese(changes, regions):
    p, ev = changes
    rows = audit.display_entries(AuditLog.objects.select_related("user", "content_type").order_by("id"))
    mine = [r for r in rows if r.entry.content_type.model == "renewalproject"]
    created = next(r for r in mine if r.entry.action == "create")
    lines = {c.field: c for c in created.changes}
    assert str(lines["city"]) == "城市：（空） → 郑州市"
    assert str(lines["category"]) == "更新类型：（空） → 城镇老旧小区改造"
    assert str(lines["total_investment"]) == "项目总投资（亿元）：（空） → 1.5"
    moved = next(r for r in mine if r.entry.action == "update" and "status" in r.entry.changes)
    assert moved.changes_text == "项目状态：入库 → 实施"
    assert moved.time == "2026-11-30 20:15"  # 12:15 UTC is 20:15 in Beijing
    assert moved.user == "市管理员" and moved.username == "cityadmin"
    districts = next(r for r in mine if "districts" in r.entry.changes)
    assert districts.changes_text == "所在区域：（空） → 中原区"
    uploaded = next(r for r in rows if r.entry.object_id == str(ev.pk) and r.entry.content_type.model == "evidence")
    assert str({c.field: c for c in uploaded.changes}["file"]) == "文件：（空） → 现场照片说明.pdf"
    assert uploaded.object == "现场照片说明.pdf"  # the object's name was recorded as its stored path
    assert "checkup/evidence" in ev.file.name  # ... which is really a path on the server


def test_a_deleted_object_and_an_unknown_value_still_read(changes, regions):
    p, _ = changes
    log = AuditLog.objects.create(
        action="update", content_type=ContentType.objects.get_for_model(RenewalProject),
        object_id=str(p.pk), object_repr=str(p), changes={"city": [987654, regions["郑州市"].pk], "status": ["legacy", "completed"]},
    )
    (row,) = audit.display_entries([log])
    assert row.changes_text == "城市：编号 987654（已删除） → 郑州市；项目状态：legacy → 竣工"
    assert row.user == "系统"


def test_audit_page_history_and_export_agree(client, changes, city_admin):
    p, ev = changes
    client.force_login(city_admin)
    project_type = ContentType.objects.get_for_model(RenewalProject).pk
    page = client.get(f"/audit/?content_type={project_type}").content.decode()
    assert '<option value="">全部</option>' in page
    detail = client.get(f"/projects/{p.code}/").content.decode()
    history = detail[detail.index('id="history"'):]
    for html in (page[page.index("audit-table"):], history):
        assert "<b>项目状态</b>：入库 → 实施" in html
        assert "<b>城市</b>：（空） → 郑州市" in html
        assert "2026-11-30 20:15" in html
        assert ">市管理员<" in html
        assert "implementing" not in html and "<b>status</b>" not in html and "<b>city</b>" not in html
    files = client.get(f"/audit/?content_type={ContentType.objects.get_for_model(Evidence).pk}").content.decode()
    assert "<b>文件</b>：（空） → 现场照片说明.pdf" in files and ">现场照片说明.pdf<" in files
    assert "checkup/evidence" not in files and str(ev.file.storage.location) not in files
    assert f'<option value="{city_admin.pk}">市管理员（cityadmin）</option>' in page  # the 操作人 filter
    roles = client.get("/audit/?q=cityadmin").content.decode()
    assert "<b>用户</b>：（空） → 市管理员" in roles  # a person by name, not by account

    resp = client.get("/audit/export.xlsx")
    ws = load_workbook(io.BytesIO(resp.content)).active
    header = [c.value for c in ws[1]]
    table = [dict(zip(header, (c.value for c in row))) for row in ws.iter_rows(min_row=2)]
    moved = next(r for r in table if r["变更内容"] == "项目状态：入库 → 实施")
    assert moved["时间（北京时间）"] == "2026-11-30 20:15"
    assert moved["操作人"] == "市管理员" and moved["账号"] == "cityadmin"
    assert moved["对象类型"] == "城市更新项目" and moved["动作"] == "修改"
    text = "\n".join(str(v) for r in table for v in r.values())
    assert "现场照片说明.pdf" in text and "checkup/evidence" not in text and "implementing" not in text

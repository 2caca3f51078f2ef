"""Attachments (佐证材料, 问题照片): the allow-list is checked by content on upload, and /media/ serves
only images and PDF inline — everything else, including HTML/SVG stored before the allow-list, as a
download with nosniff and a sandbox CSP — to users who may read the task or problem a file belongs to."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from docx import Document
from openpyxl import Workbook
from PIL import Image

from cityrenew.checkup.choices import Department
from cityrenew.checkup.models import AssessmentUnit, Evidence, ProblemPhoto

from .test_views import _login, _task, edu_user, problems, run  # noqa: F401  (fixtures)

HTML = b"<!DOCTYPE html><html><body><h1 id=x>pwned</h1><script>document.title='pwned'</script></body></html>"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b"<script>document.title='pwned'</script><rect width='10' height='10'/></svg>")


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def xlsx_bytes() -> bytes:
    wb = Workbook()
    wb.active["A1"] = "中学服务半径覆盖率"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def docx_bytes() -> bytes:
    doc = Document()
    doc.add_paragraph("佐证说明")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def zip_of(**members: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _post_evidence(client, task, name: str, data: bytes):
    return client.post(reverse("checkup:task_evidence", args=[task.pk]), {"file": SimpleUploadedFile(name, data)})


@pytest.mark.parametrize("name,data", [
    ("照片.png", png_bytes()), ("覆盖分析.pdf", b"%PDF-1.7\n1 0 obj\n"), ("统计表.xlsx", xlsx_bytes()),
    ("说明.docx", docx_bytes()), ("名单.csv", "学校,学生数\n郑州一中,3000\n".encode("gbk")), ("备注.txt", "已核实".encode()),
])
def test_allowed_types_are_accepted(client, run, edu_user, name, data):
    _login(client, edu_user)
    edu = _task(run, Department.EDUCATION)
    resp = _post_evidence(client, edu, name, data)
    assert resp.status_code == 302, resp.content.decode()
    assert edu.evidence.get().file.name == f"checkup/evidence/{name}"


@pytest.mark.parametrize("name,data,message", [
    ("截图.png", HTML, "文件“截图.png”的扩展名是 .png，但内容是HTML 网页"),
    ("报表.xlsx", zip_of(**{"a.txt": b"hello"}), "文件“报表.xlsx”的扩展名是 .xlsx，但内容是普通 ZIP 压缩包"),
    ("报表.xlsx", docx_bytes(), "文件“报表.xlsx”的扩展名是 .xlsx，但内容是Word 文档"),
    ("名单.csv", SVG, "文件“名单.csv”的扩展名是 .csv，但内容是SVG 图像（可含脚本）"),
    ("页面.html", HTML, "不支持的文件类型“页面.html”"),
    ("图标.svg", SVG, "不支持的文件类型“图标.svg”"),
    ("工具.js", b"alert(1)", "不支持的文件类型“工具.js”"),
    ("安装.exe", b"MZ\x90\x00", "不支持的文件类型“安装.exe”"),
    ("扫描.pdf", b"MZ\x90\x00\x03", "文件“扫描.pdf”的扩展名是 .pdf，但内容是可执行程序或脚本"),
])
def test_other_types_and_disguised_files_are_refused(client, run, edu_user, name, data, message):
    _login(client, edu_user)
    edu = _task(run, Department.EDUCATION)
    resp = _post_evidence(client, edu, name, data)
    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert not edu.evidence.exists()


def test_attachment_size_limit_both_sides(client, run, edu_user, settings):
    _login(client, edu_user)
    edu = _task(run, Department.EDUCATION)
    data = "核实记录\n".encode() * 100
    settings.CITYRENEW_UPLOAD_LIMITS = {"max_bytes": {"attachment": len(data)}}
    assert _post_evidence(client, edu, "a.txt", data).status_code == 302
    resp = _post_evidence(client, edu, "b.txt", data + b"\n")
    assert resp.status_code == 400
    assert "文件“b.txt”附件大小超过上限：本文件 1.3 KB，允许不超过 1.3 KB" in resp.content.decode()


def test_problem_photo_must_be_an_image_by_content(client, run, city_admin):
    _login(client, city_admin)
    ind1 = run.indicator_set.indicators.get(number=1)
    form = {"unit": AssessmentUnit.objects.get(code="T-C1").pk, "indicator": ind1.pk, "severity": "general", "description": "x"}
    url = reverse("checkup:problem_create", args=[run.pk])
    resp = client.post(url, form | {"photos": [SimpleUploadedFile("现场.jpg", HTML)]})
    assert resp.status_code == 400 and "文件“现场.jpg”的扩展名是 .jpg，但内容是HTML 网页" in resp.content.decode()
    resp = client.post(url, form | {"photos": [SimpleUploadedFile("现场.pdf", b"%PDF-1.4")]})
    assert resp.status_code == 400 and "不支持的文件类型“现场.pdf”：只接受 .jpg、.jpeg、.png" in resp.content.decode()
    assert client.post(url, form | {"photos": [SimpleUploadedFile("现场.png", png_bytes())]}).status_code == 302


# --- serving ------------------------------------------------------------------------------------------


def _stored_evidence(task, name: str, data: bytes) -> Evidence:
    """An evidence row saved without the allow-list, as files uploaded before it were."""
    ev = Evidence(task=task)
    ev.file.save(name, ContentFile(data), save=False)
    ev.save()
    return ev


def test_images_and_pdf_inline_everything_else_downloaded(client, run, edu_user):
    _login(client, edu_user)
    edu = _task(run, Department.EDUCATION)
    cases = {
        "图.png": (png_bytes(), "inline", "image/png"),
        "分析.pdf": (b"%PDF-1.7\n", "inline", "application/pdf"),
        "表.xlsx": (xlsx_bytes(), "attachment", "application/octet-stream"),
        "名单.csv": (b"a,b\n1,2\n", "attachment", "application/octet-stream"),
        "页面.html": (HTML, "attachment", "application/octet-stream"),
        "图标.svg": (SVG, "attachment", "application/octet-stream"),
        "伪装.png": (HTML, "attachment", "application/octet-stream"),  # stored before the allow-list
        "伪装.html": (png_bytes(), "attachment", "application/octet-stream"),  # an image under a page's name
    }
    for name, (data, disposition, ctype) in cases.items():
        ev = _stored_evidence(edu, name, data)
        resp = client.get(ev.file.url)
        assert resp.status_code == 200, name
        assert resp["Content-Type"] == ctype, name
        assert resp["Content-Disposition"].startswith(disposition), name
        assert resp["X-Content-Type-Options"] == "nosniff"
        csp = resp["Content-Security-Policy"]
        assert "default-src 'none'" in csp
        assert ("sandbox" in csp) == (ctype != "application/pdf"), name
        assert b"".join(resp.streaming_content) == data


def test_evidence_is_served_only_to_who_may_read_its_task(client, run, edu_user, make_user, viewer):
    edu = _task(run, Department.EDUCATION)
    housing = _task(run, Department.HOUSING)
    ev = _stored_evidence(housing, "住建局佐证.pdf", b"%PDF-1.4\n")
    _login(client, edu_user)  # a department user: only its own department's tasks
    resp = client.get(ev.file.url)
    assert resp.status_code == 403 and "您无权查看该附件" in resp.content.decode()
    own = _stored_evidence(edu, "教育局佐证.pdf", b"%PDF-1.4\n")
    assert client.get(own.file.url).status_code == 200
    client.logout()
    _login(client, viewer)  # a city-wide reader sees every task
    assert client.get(ev.file.url).status_code == 200
    client.logout()
    assert client.get(ev.file.url).status_code == 302  # signed out: to the login page


def test_problem_photos_are_served_to_readers_of_the_run(client, problems, viewer):
    photo = ProblemPhoto(problem=problems[0])
    photo.image.save("裂缝.png", ContentFile(png_bytes()), save=False)
    photo.save()
    _login(client, viewer)
    resp = client.get(photo.image.url)
    assert resp.status_code == 200 and resp["Content-Type"] == "image/png"
    assert resp["Content-Disposition"].startswith("inline")


def test_the_problem_service_checks_photos_too(run, city_admin):
    from cityrenew.checkup import services

    ind1 = run.indicator_set.indicators.get(number=1)
    unit = AssessmentUnit.objects.get(code="T-C1")
    with pytest.raises(services.CheckupError, match="文件“a.png”的扩展名是 .png，但内容是HTML 网页"):
        services.record_problem(run, indicator=ind1, unit=unit, user=city_admin, photos=[SimpleUploadedFile("a.png", HTML)])
    assert not run.problems.exists()
    p = services.record_problem(run, indicator=ind1, unit=unit, user=city_admin, photos=[SimpleUploadedFile("a.png", png_bytes())])
    assert p.photos.count() == 1

"""Production mode in process: the suite runs on ``cityrenew.settings_test`` (production settings over plain
HTTP, DEBUG off), so the error pages and security headers are what a city's server sends."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, RequestFactory

TEMPLATES = Path(__file__).resolve().parents[2] / "cityrenew" / "templates"


# --- error pages and headers (in process: DEBUG is off, as in production) ---------------------------


@pytest.mark.django_db
def test_unknown_url_gets_the_chinese_404_not_a_debug_page(django_user_model):
    assert settings.DEBUG is False
    c = Client()
    c.force_login(django_user_model.objects.create_user("someone"))
    resp = c.get("/no-such-page/")
    assert resp.status_code == 404
    body = resp.content.decode()
    assert "页面不存在" in body
    assert "URLconf" not in body and "Page not found" not in body and "Traceback" not in body


def test_server_error_page_is_chinese_and_needs_no_context():
    from django.views.defaults import server_error

    resp = server_error(RequestFactory().get("/"))
    assert resp.status_code == 500
    assert "服务器错误（500）" in resp.content.decode()


def test_bad_request_page_is_chinese():
    resp = Client().get("/login/", HTTP_HOST="evil.example.com")  # not in ALLOWED_HOSTS
    assert resp.status_code == 400
    assert "请求无效（400）" in resp.content.decode()


@pytest.mark.django_db
def test_csrf_failure_is_a_chinese_403(django_user_model):
    django_user_model.objects.create_user("clerk", password="Renew-2026-correct-horse")
    c = Client(enforce_csrf_checks=True)
    resp = c.post("/login/", {"username": "clerk", "password": "Renew-2026-correct-horse"})
    assert resp.status_code == 403
    body = resp.content.decode()
    assert "页面已过期" in body and "刷新页面" in body
    assert "_auth_user_id" not in c.session


@pytest.mark.django_db
def test_security_headers_and_csp_nonce_on_pages():
    resp = Client().get("/login/")
    csp = resp["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert resp["X-Frame-Options"] == "DENY"
    assert resp["Referrer-Policy"] == "same-origin"


INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)


def test_templates_have_no_inline_code_the_csp_would_block():
    """Inline event handlers are refused by the CSP; an inline <script>/<style> needs the request's nonce."""
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text()
        rel = path.relative_to(TEMPLATES)
        if INLINE_HANDLER.search(text):
            problems.append(f"{rel}: inline event handler")
        for attrs in SCRIPT_TAG.findall(text):
            if "src=" not in attrs and "csp_nonce" not in attrs and "application/json" not in attrs:
                problems.append(f"{rel}: <script> without src or nonce")
        if re.search(r"<style\b(?![^>]*csp_nonce)", text):
            problems.append(f"{rel}: <style> without nonce")
    assert problems == []

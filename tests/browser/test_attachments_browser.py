"""Stored XSS through attachments, checked in a real Chromium: an .html or .svg 佐证材料 (stored before the
allow-list refused such uploads, or a page disguised as .png) opened by its URL is downloaded, never
rendered — no DOM from the file, no script run — while a real image still shows inline."""

from __future__ import annotations

import io

import pytest
from conftest import login
from django.core.files.base import ContentFile
from PIL import Image
from playwright.sync_api import Error as PlaywrightError

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each file sets the title and writes a marker into the DOM, and tries to read the CSRF cookie.
HTML = (b"<!DOCTYPE html><html><body><h1 id='pwned'>pwned</h1>"
        b"<script>document.title='pwned:'+document.cookie;window.pwned=1</script></body></html>")
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect id="pwned" width="40" height="40"/>'
       b"<script>document.title='pwned:'+document.cookie;window.pwned=1</script></svg>")


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def app_serves_media(live_server):
    """Django's live server answers /media/ itself from MEDIA_ROOT (a test-only shortcut that would hide
    our view); for these tests the requests go to the application, as they do under `cityrenew serve`."""
    from django.test.testcases import _MediaFilesHandler

    outer = live_server.thread.httpd.get_app()
    media = outer.application
    assert isinstance(media, _MediaFilesHandler)
    outer.application = media.application
    yield live_server
    outer.application = media


@pytest.fixture
def evidence(app_serves_media, regions, city_admin, settings, tmp_path):
    from cityrenew.checkup import services
    from cityrenew.checkup.catalogue import SET_2025, load_indicator_sets
    from cityrenew.checkup.models import Evidence

    settings.MEDIA_ROOT = tmp_path
    run = services.create_run(regions["郑州市"], 2025, load_indicator_sets()[SET_2025], city_admin)
    task = run.tasks.first()
    out = {}
    for name, data in (("页面.html", HTML), ("图标.svg", SVG), ("伪装.png", HTML), ("照片.png", _png())):
        ev = Evidence(task=task)  # saved as a pre-allow-list upload was: no validation
        ev.file.save(name, ContentFile(data), save=False)
        ev.save()
        out[name] = ev.file.url
    return out


@pytest.mark.parametrize("name", ["页面.html", "图标.svg", "伪装.png"])
def test_html_and_svg_attachments_are_downloaded_not_rendered(page, live_server, city_admin, evidence, name):
    login(page, live_server, "cityadmin", "pass-cityadmin")
    home = page.url
    with page.expect_download() as info:
        try:
            page.goto(live_server.url + evidence[name])
        except PlaywrightError as exc:  # a navigation that turns into a download is aborted
            assert "Download is starting" in str(exc) or "ERR_ABORTED" in str(exc)
    download = info.value
    assert download.suggested_filename == name
    assert download.path().read_bytes() in (HTML, SVG)
    assert page.url == home  # still on the platform's page: the file never became a document
    assert not page.title().startswith("pwned")
    assert page.locator("#pwned").count() == 0
    assert page.evaluate("() => window.pwned === undefined")


def test_a_real_image_still_shows_inline(page, live_server, city_admin, evidence):
    login(page, live_server, "cityadmin", "pass-cityadmin")
    resp = page.goto(live_server.url + evidence["照片.png"])
    assert resp.headers["content-type"] == "image/png"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert page.evaluate("() => document.images.length === 1 && document.images[0].naturalWidth") == 4

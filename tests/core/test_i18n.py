"""The English catalogue: Chinese stays the default, the language switcher gives English pages,
and every entry of cityrenew/locale/en/LC_MESSAGES/django.po is translated and compiled."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

import cityrenew

LOCALE_DIR = Path(cityrenew.__file__).resolve().parent / "locale" / "en" / "LC_MESSAGES"
PO_FILE = LOCALE_DIR / "django.po"
MO_FILE = LOCALE_DIR / "django.mo"


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file (no plural forms or contexts are used): msgid, msgstr, flags.

    Obsolete entries (``#~``) are skipped; the header entry (empty msgid) is included.
    """
    entries: list[dict] = []
    cur: dict | None = None
    field = None

    def flush():
        nonlocal cur
        if cur is not None and cur.get("msgid") is not None:
            entries.append(cur)
        cur = None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if cur is not None and cur.get("msgid") is not None:
                flush()
            cur = cur or {"flags": set()}
            if line.startswith("#,"):
                cur["flags"] |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if line.startswith(("msgid_plural", "msgctxt", "msgstr[")):
            raise AssertionError(f"unexpected construct in {path.name}: {line}")
        if line.startswith("msgid "):
            if cur is not None and cur.get("msgid") is not None:
                flush()
            cur = cur or {"flags": set()}
            field = "msgid"
            cur[field] = ast.literal_eval(line[len("msgid ") :])
        elif line.startswith("msgstr "):
            field = "msgstr"
            cur[field] = ast.literal_eval(line[len("msgstr ") :])
        elif line.startswith('"'):
            cur[field] += ast.literal_eval(line)
        else:
            raise AssertionError(f"cannot parse {path.name}: {raw}")
    flush()
    return entries


def test_catalogue_files_exist():
    assert PO_FILE.is_file(), PO_FILE
    assert MO_FILE.is_file(), f"{MO_FILE} missing: run `cityrenew compilemessages -l en` in cityrenew/"


def test_po_has_no_empty_or_fuzzy_entries():
    entries = [e for e in parse_po(PO_FILE) if e["msgid"]]
    assert len(entries) > 100
    empty = [e["msgid"] for e in entries if not e.get("msgstr", "").strip()]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not empty, f"untranslated: {empty}"
    assert not fuzzy, f"fuzzy: {fuzzy}"
    header = next(e for e in parse_po(PO_FILE) if e["msgid"] == "")
    assert "fuzzy" not in header["flags"]
    assert "Language: en" in header["msgstr"]


def test_mo_matches_po():
    """Every .po entry comes out of the compiled catalogue as its msgstr (.mo compiled from this .po)."""
    entries = [e for e in parse_po(PO_FILE) if e["msgid"]]
    with translation.override("en"):
        got = {e["msgid"]: translation.gettext(e["msgid"]) for e in entries}
    wrong = [(e["msgid"], got[e["msgid"]], e["msgstr"]) for e in entries if got[e["msgid"]] != e["msgstr"]]
    assert not wrong, f"stale django.mo (run compilemessages): {wrong[:5]}"


def test_placeholders_kept():
    pattern = re.compile(r"%\(\w+\)s|\{\w*\}|<[^>]+>")
    for e in parse_po(PO_FILE):
        if e["msgid"]:
            assert sorted(pattern.findall(e["msgid"])) == sorted(pattern.findall(e["msgstr"])), e["msgid"]


@pytest.mark.django_db
def test_default_language_is_chinese(client, viewer):
    client.force_login(viewer)
    page = client.get("/regions/").content.decode()
    assert 'lang="zh-hans"' in page
    assert "<h1>行政区划</h1>" in page and "项目库" in page
    assert "Administrative Divisions" not in page and "Project Library" not in page


@pytest.mark.django_db
def test_language_switcher_gives_english_pages(client, viewer):
    client.force_login(viewer)
    resp = client.post("/i18n/setlang/", {"language": "en", "next": "/regions/"})
    assert resp.status_code == 302 and resp["Location"] == "/regions/"

    regions_page = client.get("/regions/").content.decode()
    assert 'lang="en"' in regions_page
    assert "<h1>Administrative Divisions</h1>" in regions_page
    assert ">Project Library</a>" in regions_page  # the navigation
    assert ">Division code</th>" in regions_page
    assert "<h1>行政区划</h1>" not in regions_page

    audit_page = client.get("/audit/").content.decode()
    assert "<h1>Audit Log" in audit_page and "Export Excel" in audit_page

    policies_page = client.get("/policies/").content.decode()
    assert "<h1>Policy Library" in policies_page

    # and back to Chinese
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/regions/"})
    assert "<h1>行政区划</h1>" in client.get("/regions/").content.decode()


def test_an_english_browser_still_gets_chinese_until_english_is_chosen(client, viewer):
    client.force_login(viewer)
    page = client.get("/regions/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in page and "行政区划" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/regions/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="en"' in page

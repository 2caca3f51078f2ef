"""Citations: badges name documents, never seed files or line numbers; rules grouped by document and
article (the pages of the policy library are tested in tests/policies/test_pages.py)."""

from __future__ import annotations

import re

import pytest

from cityrenew.catalogue.policies import Citation, CitationError, cite, indicator_citations, rules_by_document

pytestmark = pytest.mark.django_db


def test_citation_badges_carry_no_file_names(client, city_admin, regions):
    from cityrenew.projects import demo

    demo.load()
    client.force_login(city_admin)
    for url in ["/projects/", "/projects/summary/", "/regions/"]:
        html = client.get(url).content.decode()
        assert 'class="cite"' in html
        assert ".txt" not in html and not re.search(r"L\d{3,}", html), url


def test_rules_are_grouped_by_document_then_article():
    a = Citation("GF-2024-17", "三、（二）", rule="规则甲")
    b = Citation("GBF-2020-23", "二、（一）", rule="规则乙")
    c = Citation("GBF-2020-23", "二、（一）", rule="规则丙")
    grouped = rules_by_document([a, b, c])
    assert list(grouped) == ["GF-2024-17", "GBF-2020-23"]  # registry order, not citation order
    assert [(x.article, [r.rule for r in x.rules]) for x in grouped["GBF-2020-23"]] == [("二、（一）", ["规则乙", "规则丙"])]
    with pytest.raises(CitationError, match="未登记的政策文件"):
        cite("NO-SUCH-DOC", rule="x")


def test_every_packaged_indicator_cites_its_manual():
    found = indicator_citations()
    assert sum(c.document == "MOHURD-CHECKUP-2025" for c in found) == 60
    assert sum(c.document == "MOHURD-CHECKUP-2024" for c in found) == 61
    assert all(c.article.startswith("指标") for c in found)

"""/policies/: documents by name (title, 文号, issuer, year) with their cited articles and the rules
citing them; no file names, paths or line numbers of the seed texts."""

from __future__ import annotations

import re

import pytest

from cityrenew.catalogue.policies import DOCUMENTS, Citation, CitationError, cite, indicator_citations, rules_by_document

pytestmark = pytest.mark.django_db


def _section(html: str, key: str) -> str:
    start = html.index(f'data-testid="policy-{key}"')
    return html[start:html.index("</section>", start)]


def test_policies_page_names_documents_articles_and_rules(client, viewer):
    client.force_login(viewer)
    html = client.get("/policies/").content.decode()
    mof = _section(html, "MOF-2025-11")
    assert "《关于开展2025年度中央财政支持实施城市更新行动的通知》" in mof and "财办建〔2025〕11号" in mof
    assert "财政部办公厅、住房城乡建设部办公厅" in mof
    row = re.search(r"<tr><td>四、（二）2.</td>(.*?)</tr>", mof, re.S).group(1)
    assert "项目状态（谋划、储备、入库）" in row and "项目库汇总只计入库项目" in row
    manual = _section(html, "MOHURD-CHECKUP-2025")
    assert "体检指标 60. 问题整治完成率" in manual and "问题整治完成率的计算" in manual
    assert "体检报告（Word）" in manual  # a rule whose module no page had imported yet
    assert ">2025<" in html  # the year column
    zz = _section(html, "ZZJW-2025-45")
    assert "新增入库项目清单" in zz and "演示数据：新增入库批次" in zz
    # nothing of the seed files: names, folders, line ranges
    for d in DOCUMENTS.values():
        if d.seed:
            assert d.seed not in html
    assert "seeds" not in html and ".txt" not in html and ".md" not in html
    assert not re.search(r"L\d{3,}", html)


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

"""Links both ways: every citation in the codebase resolves to an article of the policy library, and
each article knows what cites it."""

from __future__ import annotations

import ast
import csv
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from cityrenew.catalogue.policies import Citation, CitationError, check_ref, cite
from cityrenew.catalogue.spatial import (
    SPATIAL_RULES_CSV,
    SpatialRuleError,
    fill_citations,
    load_spatial_rules,
)
from cityrenew.policies import citations
from cityrenew.policies.models import Article, PolicyDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def national_sets(library):
    from cityrenew.checkup.catalogue import load_indicator_sets

    return load_indicator_sets()


def _article(key: str, ref: str) -> Article:
    return Article.objects.select_related("document").get(document__key=key, ref=ref)


def test_every_citation_in_the_codebase_resolves_to_an_article(library, national_sets):
    citations.clear_cache()
    entries = citations.all_citations()
    kinds = {e.kind for e in entries}
    assert {"规则", "体检指标（目录）", "空间规则", "指标体系", "体检指标"} <= kinds
    assert len([e for e in entries if e.kind == "空间规则"]) == len(load_spatial_rules())
    assert citations.unresolved(entries) == []
    for e in entries:  # and each names the article its rule rests on, not a file or a line range
        assert citations.resolve(e.citation) is not None
        assert not re.search(r"L\d+|\.txt|\.md", e.citation.where)


def test_every_module_that_cites_is_a_policy_module_of_its_app():
    """all_citations() imports each app's policy_modules: a cite(...) anywhere else would go unchecked."""
    from django.apps import apps

    root = Path(citations.__file__).resolve().parent.parent
    listed = {f"{app.name}.{m}" for app in apps.get_app_configs() for m in getattr(app, "policy_modules", ())}
    citing = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(n, ast.Call) and getattr(n.func, "id", "") == "cite" for n in ast.walk(tree)):
            citing.add(".".join(("cityrenew",) + path.relative_to(root).with_suffix("").parts))
    assert citing - listed == set()
    assert {"cityrenew.projects.fieldrules", "cityrenew.core.views", "cityrenew.checkup.report"} <= citing


def test_every_article_ref_is_well_formed(library):
    refs = list(Article.objects.values_list("document__key", "ref"))
    assert len(refs) > 100
    assert [(k, r, check_ref(r)) for k, r in refs if check_ref(r)] == []


def test_a_broken_citation_is_reported_in_chinese_naming_rule_document_and_ref(library):
    missing = Citation("MOF-2025-11", "四、（九）", rule="测试规则：补助上限", origin="tests.policies")
    message = citations.problem(missing)
    assert "测试规则：补助上限" in message and "关于开展2025年度中央财政支持实施城市更新行动的通知" in message
    assert "MOF-2025-11" in message and "四、（九）" in message and "文件中没有条款" in message
    assert citations.problem(Citation("MOF-2025-11", "四、（二）", rule="测试规则", item="2.")) == ""
    assert "条款“四、（二）”中没有第“3.”项" in citations.problem(Citation("MOF-2025-11", "四、（二）", rule="测试规则", item="3."))
    # a run whose last article comes first, and a document the library does not hold
    assert "之前" in citations.problem(Citation("CPC-2025-URBAN-RENEWAL", "二、（八）", rule="倒序", through="二、（一）"))
    assert citations.unresolved([citations.CitedRule("测试规则：补助上限", "规则", "tests", "", missing)]) == [message]


def test_cite_refuses_a_malformed_ref_at_import_time():
    with pytest.raises(CitationError, match="规则“项目状态”引用《MOF-2025-11》四、（二）2. 城市更新机制建设：.*不符合条款编号规则"):
        cite("MOF-2025-11", "四、（二）2. 城市更新机制建设", rule="项目状态")
    with pytest.raises(CitationError, match="项“第2项”不符合项编号规则"):
        cite("MOF-2025-11", "四、（二）", rule="项目状态", item="第2项")
    with pytest.raises(CitationError, match="未登记的政策文件：NO-SUCH-DOC"):
        cite("NO-SUCH-DOC", "第一条", rule="x")
    for good in ["第十二条", "二、（三）", "四、", "（三）", "序号12", "指标13", "第3段", "第一章三、（五）", "序言", "表头", "二、（三）之2", "附件四"]:
        assert check_ref(good) == "", good
    for bad in ["", "附件一 基础指标一览表", "第12条", "二、主要任务", "四、（二）2.", "指标 13"]:
        assert check_ref(bad), bad


def test_check_citations_command(library, national_sets, capsys):
    call_command("policies", "check-citations")
    assert "全部对应到政策库中的条款" in capsys.readouterr().out
    Article.objects.filter(document__key="MOHURD-CHECKUP-2025", ref="指标60").delete()  # rolled back after the test
    with pytest.raises(CommandError) as err:
        call_command("policies", "check-citations")
    assert err.value.returncode == 1
    out = capsys.readouterr().err
    assert "问题整治完成率的计算" in out and "城市体检工作手册（试行）" in out and "指标60" in out


def test_cited_by_lists_rules_indicators_and_spatial_rules(library, national_sets):
    citations.clear_cache()
    status = citations.cited_by(_article("MOF-2025-11", "四、（二）"))
    assert {"项目状态（谋划、储备、入库）", "项目库汇总只计入库项目"} <= {e.rule for e in status}
    library_rules = [e for e in status if e.where.startswith("cityrenew.projects")]
    assert len(library_rules) >= 2 and all(e.kind == "规则" and e.area == "城市更新项目库" for e in library_rules)
    # 财办建〔2025〕11号 四、（二） also bars double central funding: the funding app's rule, under 资金
    assert {(e.rule, e.area) for e in status if e.where.startswith("cityrenew.funding")} == {
        ("中央财政城市更新补助资金不得与其他渠道中央资金交叉重复", "资金")}
    school = citations.cited_by(_article("MOHURD-CHECKUP-2025", "指标13"))
    by_kind = {e.kind: e for e in school}
    assert by_kind["空间规则"].rule.startswith("I13_PRIMARY_500")
    assert by_kind["空间规则"].url == by_kind["体检指标"].url  # the spatial rule links to the indicator it serves
    indicator = by_kind["体检指标"]
    assert indicator.rule == "体检指标 13. 小学学位缺口数" and indicator.url.startswith("/checkup/sets/")
    assert "体检指标（目录）" not in by_kind  # the catalogue row is the same rule as the indicator with a page
    # a run (二、（一） through 二、（八）) lists the rule under every article of it, and no further
    tasks = [a.ref for a in Article.objects.filter(document__key="CPC-2025-URBAN-RENEWAL").order_by("number")
             if "项目更新类型" in {e.rule for e in citations.cited_by(a)}]
    assert tasks == [f"二、（{n}）" for n in "一二三四五六七八"]
    assert citations.cited_by(_article("CPC-2025-URBAN-RENEWAL", "三、（一）")) == []
    # the 2024 set cites its whole list, 指标1 through 指标61
    old_set = [e for e in citations.cited_by(_article("MOHURD-CHECKUP-2024", "指标61")) if e.kind == "指标体系"]
    assert [e.citation.where for e in old_set] == ["指标1至指标61"]


def test_cite_tag_links_to_the_article_with_its_heading_and_costs_one_query(library):
    from cityrenew.projects.choices import STATUS_SOURCE

    citations.clear_cache()
    art = _article("MOF-2025-11", "四、（二）")
    tpl = Template("{% load cityrenew %}{% for c in cs %}{% cite c %}{% endfor %}")
    with CaptureQueriesContext(connection) as queries:
        html = tpl.render(Context({"cs": [STATUS_SOURCE] * 20}))
    assert len(queries) == 1
    href = f'href="/policies/MOF-2025-11/{art.number}/#a{art.number}"'
    assert html.count(href) == 20 and "依据：《关于开展2025年度中央财政支持实施城市更新行动的通知》（财办建〔2025〕11号）四、（二）2." in html
    assert f"财办建〔2025〕11号）四、（二） {art.heading}" in html and art.heading == "资金支持方向"  # the tooltip
    unresolved = Template("{% load cityrenew %}{% cite c %}").render(Context({"c": Citation("MOF-2025-11", "四、（九）")}))
    assert 'href="/policies/MOF-2025-11/"' in unresolved and "data-unresolved" in unresolved
    # the index is dropped when the library changes
    PolicyDocument.objects.get(key="MOF-2025-11").articles.filter(ref="四、（二）").delete()
    art.document.save()
    assert citations.resolve(STATUS_SOURCE) is None


def test_excerpt_documents_hold_only_text_we_have(library):
    from cityrenew.catalogue.indicator_texts import read_texts

    manual = PolicyDocument.objects.get(key="MOHURD-CHECKUP-2025")
    old = PolicyDocument.objects.get(key="MOHURD-CHECKUP-2024")
    assert manual.excerpt and manual.structure == "indicators" and manual.replaces == old
    assert old.status == "replaced" and list(old.replaced_by.all()) == [manual]
    assert "QRui6/urban-inspection-rag" in manual.note
    assert manual.articles.filter(ref__startswith="指标").count() == 60 and old.articles.count() == 61
    texts = read_texts()
    for n in (1, 13, 35, 60):  # the manual's own wording, verbatim
        a = manual.articles.get(ref=f"指标{n}")
        assert texts[n].definition in a.text and texts[n].method in a.text and texts[n].standard in a.text
    assert "服务半径不宜大于500m" in manual.articles.get(ref="指标13").text
    assert "城市体检对象包括住房、小区（社区）、街区、城区（城市）" in manual.articles.get(ref="第一章三、（一）").text
    annex = manual.articles.get(ref="附件五")  # after the 60 indicators, as in the manual
    assert annex.number == manual.articles.count() and "整治建议｜整治区域｜整治类型｜责任单位" in annex.text
    gb2260 = PolicyDocument.objects.get(key="GB-T-2260")
    assert gb2260.articles.get(ref="序号410100").text == "410100 郑州市"


def test_spatial_rules_cite_an_article_and_new_rows_get_the_manual_indicator(tmp_path):
    rules = {r.code: r for r in load_spatial_rules()}
    assert (rules["I13_PRIMARY_500"].document, rules["I13_PRIMARY_500"].article) == ("MOHURD-CHECKUP-2025", "指标13")
    assert rules["LC15"].article == "指标10"  # the life circle (800~1000 m) is quoted in 指标10's 体检依据
    with SPATIAL_RULES_CSV.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    blank = tmp_path / "rules.csv"  # rows added with the two columns left empty (e.g. by another branch)
    with blank.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows([r | {"document": "", "article": ""} if r["indicator_number"] else r for r in rows])
    assert {r.code: r.article for r in load_spatial_rules(blank)}["I22_MIDDLE_1000"] == "指标22"
    assert {r.code: r.article for r in load_spatial_rules(blank)}["I11_CHILDCARE_300"] == "指标11"  # the default
    assert fill_citations(blank) == len([r for r in rows if r["indicator_number"]])
    assert ",MOHURD-CHECKUP-2025,指标22" in blank.read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(blank.read_text(encoding="utf-8").replace(",MOHURD-CHECKUP-2025,指标22", ",MOHURD-CHECKUP-2025,第22条"), encoding="utf-8")
    with pytest.raises(SpatialRuleError, match=r"bad.csv 第\d+行：I22_MIDDLE_1000 的政策依据无法对应到条款：条款“第22条”"):
        load_spatial_rules(bad)


def test_stored_free_text_articles_become_canonical_refs(national_sets):
    """Data migration checkup 0006: sets and indicators saved before the refs were canonical."""
    import importlib

    from django.apps import apps

    from cityrenew.checkup.models import Indicator, IndicatorSet

    migration = importlib.import_module("cityrenew.checkup.migrations.0006_canonical_citations")
    new, old = national_sets["MOHURD-2025"], national_sets["MOHURD-2024"]
    IndicatorSet.objects.filter(pk=new.pk).update(source_article="附件一 基础指标一览表")
    IndicatorSet.objects.filter(pk=old.pk).update(source_article="基础指标一览表（61项）")
    Indicator.objects.filter(indicator_set=new, number=13).update(source_article="指标13 + 附件一")
    migration.forwards(apps, None)
    new.refresh_from_db()
    old.refresh_from_db()
    assert (new.source_article, old.source_article) == ("第一章三、（二）", "指标1至指标61")
    assert Indicator.objects.get(indicator_set=new, number=13).source_article == "指标13"
    migration.backwards(apps, None)
    assert Indicator.objects.get(indicator_set=new, number=13).source_article == "指标13 + 附件一"

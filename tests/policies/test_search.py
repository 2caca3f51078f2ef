"""The policy library's search: real questions a consultant asks, each answered in the top 3, on the
database the suite runs on (SQLite FTS5 or PostgreSQL full-text); segmentation, synonyms, question
reading, filters, highlighting, the index kept in step, the CLI contract, the API and the page."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cityrenew.policies.search import (
    make_snippet,
    parse_query,
    rebuild_index,
    search,
    segment,
)

pytestmark = pytest.mark.django_db

# (question as typed, document key, article ref) — the article that answers it, read in the seeds
QUESTIONS = [
    # 北京市城市更新实施方案联合审查管理办法（试行）第十一条: 公示时间不得少于15个工作日 (seed 003 L2132-2134)
    ("北京实施方案公示多少天", "BJ-2024-JOINT-REVIEW", "第十一条"),
    # 广东省推进建筑和市政基础设施设备更新工作方案 二、（七）: 钢质燃气管道运行年限满20年 (seed 003 L6758-6778)
    ("广东钢质燃气管道使用多少年必须更新", "GD-2024-EQUIPMENT", "二、（七）"),
    # 财办建〔2025〕11号 四、（一）: 西部地区每个城市补助总额不超过12亿元 (seed 003 L389-399)
    ("西部城市中央补助上限", "MOF-2025-11", "四、（一）"),
    # 财办建〔2025〕11号 二、: 每省（区、市）可推荐1个城市参评 (seed 003 L348)
    ("中央财政支持城市更新每个省可以推荐几个城市", "MOF-2025-11", "二、"),
    # 财办建〔2025〕11号 三、（二）: 按照120%差额比例确定进入现场答辩的城市名单 (seed 003 L375-377)
    ("进入现场答辩的差额比例是多少", "MOF-2025-11", "三、（二）"),
    # 国办发〔2020〕23号 二、（一）明确改造对象范围: 重点改造2000年底前建成的老旧小区 (seed 003 L1490-1492)
    ("老旧小区改造对象是哪一年前建成的小区", "GBF-2020-23", "二、（一）"),
    # 北京联合审查管理办法 第十八条: 获得方案联合审查意见之日起2年内完成项目首期用地手续 (seed 003 L2234-2238)
    ("北京联合审查意见后几年内完成首期用地手续", "BJ-2024-JOINT-REVIEW", "第十八条"),
    # 上海设备更新专项行动方案 （二）既有住宅加装电梯: 支持老旧小区居民提取住房公积金用于加装电梯 (L4719-4726)
    ("上海提取住房公积金加装电梯", "SH-2024-380", "二、（二）"),
    # 河南省建筑和市政基础设施领域设备更新改造强制性更新和鼓励性更新标准目录 序号1: 住宅老旧电梯更新 (seed 003 L7232-)
    ("河南住宅老旧电梯更新标准", "HN-EQUIPMENT-CATALOGUE", "序号1"),
    # 自然资办发〔2024〕25号 三、: 零星用地应优先用于增加公共空间、公共服务设施和基础设施 (L1952-1956)
    ("零星用地优先用于什么", "MNR-2024-25", "三、"),
]


@pytest.mark.parametrize(("question", "key", "ref"), QUESTIONS, ids=[q[0] for q in QUESTIONS])
def test_real_question_finds_the_article_in_top_3(library, question, key, ref):
    hits = search(question, top=3)
    found = [(h.article.document.key, h.article.ref) for h in hits]
    assert (key, ref) in found, f"{question}: {found}"


# --- segmentation and question reading -----------------------------------------------------------


def test_segment_keeps_domain_words_and_indexes_the_words_inside_them():
    tokens = segment("推进城镇老旧小区改造和既有住宅加装电梯，更新燃气管道").split()
    for word in ("城镇老旧小区", "老旧小区", "既有住宅加装电梯", "加装电梯", "燃气管道", "燃气"):
        assert word in tokens, tokens
    assert "，" not in tokens  # punctuation is not a token
    assert segment("") == ""


def test_segmenter_loads_quietly():
    """jieba prints "Building prefix dict…" on stderr by default; ours says nothing."""
    code = "from cityrenew.policies.search import segment; print(segment('城市更新实施方案'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["城市", "更新", "城市更新", "实施", "方案", "实施方案"]
    assert done.stderr == ""


def test_question_words_dropped_regions_read_numbers_kept():
    q = parse_query("北京实施方案公示多少天")
    assert q.regions == ["北京"]
    words = [g.word for g in q.groups]
    assert words == ["实施方案", "公示", "时间"]  # 多少天 asks for a length of time
    assert parse_query("广东省钢质燃气管道使用多少年").regions == ["广东"]
    assert "年限" in [g.word for g in parse_query("钢质燃气管道使用多少年").groups]
    assert [g.word for g in parse_query("补助不超过12亿元吗").groups] == ["补助", "不超过", "12", "亿元"]
    # 使用年限 and the 年限 a question for an age becomes are synonyms: one group, counted once
    assert [g.word for g in parse_query("电梯使用年限多少年").groups] == ["电梯", "使用年限"]
    assert not parse_query("是什么？")  # nothing left to search for
    assert search("是什么？") == []


def test_synonyms_expand_the_query():
    groups = {g.word: g.variants for g in parse_query("老旧小区加装电梯燃气管道补助上限").groups}
    assert set(groups["老旧小区"]) == {"老旧小区", "城镇老旧小区"}
    assert set(groups["加装电梯"]) == {"加装电梯", "既有住宅加装电梯"}
    assert "燃气管线" in groups["燃气管道"]
    assert {"补贴", "资金支持"} <= set(groups["补助"])
    assert {"不超过", "最高"} <= set(groups["上限"])


def test_synonym_finds_an_article_that_only_has_the_other_word(library):
    from cityrenew.policies.models import Article

    # CPC-2025-URBAN-RENEWAL: "支持有条件的楼栋加装电梯" (seed 003 L77), no 既有住宅加装电梯 in it
    article = Article.objects.get(document__key="CPC-2025-URBAN-RENEWAL", text__contains="支持有条件的楼栋加装电梯")
    assert "既有住宅加装电梯" not in article.text
    found = {h.article.pk for h in search("既有住宅加装电梯", top=50)}
    assert article.pk in found
    # and the reverse: 城镇老旧小区 finds an article that says only 老旧小区
    only_short = [a for a in Article.objects.filter(text__contains="老旧小区") if "城镇老旧小区" not in a.text]
    assert only_short
    found = {h.article.pk for h in search("城镇老旧小区", top=500)}
    assert any(a.pk in found for a in only_short)
    # without the synonym list a word finds only itself
    assert all("西部" in h.article.text or "西部" in h.article.heading for h in search("西部地区", top=20))


def test_region_word_puts_that_regions_document_first(library):
    """Several provinces say the same thing on lifts; the province named in the question comes first."""
    for region, region_name in [("山西", "山西省"), ("河北", "河北省"), ("河南", "河南省"), ("上海", "上海市")]:
        first = search(f"{region}既有住宅加装电梯", top=1)[0]
        assert first.article.document.region == region_name, region
        assert "加装电梯" in first.article.text


# --- filters --------------------------------------------------------------------------------------


def test_filters_restrict_the_documents(library):
    from cityrenew.policies.models import Level, Status

    everything = search("加装电梯", top=200)
    assert {h.article.document.level for h in everything} >= {Level.CENTRAL, Level.PROVINCE}
    provinces = search("加装电梯", top=200, level=Level.PROVINCE)
    assert provinces and {h.article.document.level for h in provinces} == {Level.PROVINCE}
    assert len(provinces) < len(everything)
    henan = search("加装电梯", top=200, region="河南")
    assert henan and {h.article.document.region for h in henan} == {"河南省"}
    y2024 = search("加装电梯", top=200, year=2024)
    assert y2024 and all(h.article.document.issued.year == 2024 for h in y2024)
    assert len(y2024) < len(everything)
    assert search("加装电梯", top=200, issuer="国务院办公厅")
    assert all("国务院办公厅" in h.article.document.issuer for h in search("加装电梯", top=200, issuer="国务院办公厅"))
    assert search("加装电梯", top=200, status=Status.EXPIRED) == []
    # the status as of today, as the list shows it: 2024's indicator list is replaced by the 2025 manual
    replaced = search("城中村改造完成率", top=50, status=Status.REPLACED)
    assert replaced and {h.article.document.key for h in replaced} == {"MOHURD-CHECKUP-2024"}


# --- snippets -------------------------------------------------------------------------------------


def test_snippet_marks_the_hits_and_escapes_the_rest():
    q = parse_query("燃气管道更新")
    text = "前文" * 60 + "对运行年限满20年的<钢质>燃气管道进行更新改造 & 评估。" + "后文" * 60
    pieces = make_snippet(text, q)
    assert ("燃气管道", True) in pieces and ("更新", True) in pieces
    assert pieces[0] == ("…", False) and pieces[-1] == ("…", False)  # a window, not the whole text
    from cityrenew.policies.search import Hit

    hit = Hit(article=None, score=1.0, snippet=pieces)
    html = hit.snippet_html()
    assert "<mark>燃气管道</mark>" in html and "&lt;钢质&gt;" in html and "&amp;" in html
    assert "<钢质>" not in html
    assert "【燃气管道】" in hit.snippet_text() and "【" not in hit.snippet_text(("", ""))


# --- the index is kept in step ---------------------------------------------------------------------


def test_rebuild_index_adds_and_drops_a_document(library):
    from cityrenew.policies.models import Article, Level, PolicyDocument, Structure

    assert search("鹦鹉螺号潜水艇", top=5) == []
    doc = PolicyDocument.objects.create(key="TEST-LOCAL-1", title="某市潜水设施管理办法", level=Level.CITY,
                                        region="某市", structure=Structure.ARTICLES)
    Article.objects.create(document=doc, ref="第一条", label="第一条", number=1,
                           text="鹦鹉螺号潜水艇每五年检修一次。")
    assert rebuild_index([doc]) == 1
    hits = search("鹦鹉螺号潜水艇多少年检修", top=5)
    assert (hits[0].article.document.key, hits[0].article.ref) == ("TEST-LOCAL-1", "第一条")
    assert Article.objects.get(document=doc).tokens  # segmented on the way in
    doc.delete()
    rebuild_index([])  # drops the rows of articles that are gone
    assert search("鹦鹉螺号潜水艇", top=5) == []


def test_an_imported_document_is_searchable_at_once(library, tmp_path):
    """A city's own document, imported as a clerk does (a text file with 第N条), is indexed on import."""
    from cityrenew.policies.ingest import import_document

    path = tmp_path / "local.txt"
    path.write_text("郑州市城市更新项目公示办法\n第一条 为规范城市更新项目信息公开，制定本办法。\n"
                    "第二条 城市更新项目实施方案经审查通过后，应在区政府网站公示，公示期不少于二十个工作日。\n",
                    encoding="utf-8")
    doc = import_document(path, {"key": "LOCAL-TEST-GS", "title": "郑州市城市更新项目公示办法", "level": "city",
                                 "region": "郑州市"})
    found = [(h.article.document.key, h.article.ref) for h in search("郑州实施方案公示多少天", top=3)]
    assert (doc.key, "第二条") in found


# --- CLI contract ---------------------------------------------------------------------------------


def test_cli_search_json(library):
    out = StringIO()
    call_command("policies", "search", "西部城市中央补助上限", "--format", "json", "--top", "5", stdout=out)
    rows = json.loads(out.getvalue())
    assert 1 <= len(rows) <= 5
    assert {"doc", "doc_number", "article", "snippet", "score"} <= set(rows[0])
    first = rows[0]
    assert first["doc"] == "关于开展2025年度中央财政支持实施城市更新行动的通知"
    assert first["doc_number"] == "财办建〔2025〕11号"
    assert first["article"] == "四、（一）"
    assert "【西部地区】" in first["snippet"] and "12亿元" in first["snippet"]
    assert "【城市】" not in first["snippet"]  # in most articles: not marked beside rarer words
    assert rows == sorted(rows, key=lambda r: -r["score"])


def test_cli_search_text_and_filters(library):
    out = StringIO()
    call_command("policies", "search", "加装电梯", "--level", "province", "--top", "3", stdout=out)
    text = out.getvalue()
    assert text.startswith("1. 《") and "cityrenew policies show" in text
    out = StringIO()
    call_command("policies", "search", "鹦鹉螺号", stdout=out)
    assert "没有找到" in out.getvalue()


@pytest.mark.parametrize("ref", ["四、（一）", "四（一）", "四(一)"])
def test_cli_show_by_number_and_ref(library, ref):
    out = StringIO()
    call_command("policies", "show", "财办建〔2025〕11号", ref, stdout=out)
    assert "西部地区每个城市补助总额不超过 12亿元" in out.getvalue() or "西部地区每个城市补助总额不超过12亿元" in out.getvalue()


@pytest.mark.parametrize("ref", ["第十一条", "第11条", "11"])
def test_cli_show_by_key_and_article_number(library, ref):
    out = StringIO()
    call_command("policies", "show", "BJ-2024-JOINT-REVIEW", ref, stdout=out)
    assert "公示时间不得少于" in out.getvalue()


def test_cli_show_unknown_exits_2_with_a_chinese_message(library):
    with pytest.raises(CommandError) as e:
        call_command("policies", "show", "财办建〔2099〕1号", "第一条")
    assert e.value.returncode == 2 and "没有文号或编码" in str(e.value)
    with pytest.raises(CommandError) as e:
        call_command("policies", "show", "财办建〔2025〕11号", "第九十九条")
    assert e.value.returncode == 2 and "没有条款“第九十九条”" in str(e.value)


def test_cli_show_unknown_document_exit_code_as_a_process(migrated_cli):
    done = migrated_cli("policies", "show", "财办建〔2099〕1号", "第一条")
    assert done.returncode == 2
    assert "政策库中没有文号或编码为“财办建〔2099〕1号”的文件" in done.stderr
    assert "Traceback" not in done.stderr


# --- the API and the page --------------------------------------------------------------------------


def test_api_search(client, viewer, library):
    assert client.get("/api/policies/search/?q=加装电梯").status_code in (401, 403)
    client.force_login(viewer)
    resp = client.get("/api/policies/search/", {"q": "西部城市中央补助上限", "top": 3})
    assert resp.status_code == 200
    body = resp.json()
    assert body["count"] == len(body["results"]) <= 3
    first = body["results"][0]
    mof = library["MOF-2025-11"]
    article = mof.articles.get(ref="四、（一）")
    assert (first["doc_number"], first["article"]) == ("财办建〔2025〕11号", "四、（一）")
    assert first["url"] == f"/policies/MOF-2025-11/{article.number}/#a{article.number}"
    assert "<mark>西部地区</mark>" in first["snippet_html"]
    filtered = client.get("/api/policies/search/", {"q": "加装电梯", "region": "河北", "top": 50}).json()
    assert filtered["count"] and {r["doc_key"] for r in filtered["results"]} <= {"HE-2023-114", "HE-2024-EQUIPMENT"}


def test_api_search_in_the_schema(client, viewer):
    client.force_login(viewer)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    op = schema["paths"]["/api/policies/search/"]["get"]
    assert {"q", "level", "status", "year", "issuer", "region", "document", "top"} <= {p["name"] for p in op["parameters"]}


def test_api_search_refuses_bad_input_in_chinese(client, viewer, library):
    client.force_login(viewer)
    resp = client.get("/api/policies/search/", {"q": "加装电梯", "year": "二〇二四年"})
    assert resp.status_code == 400 and resp.json()["year"] == ["发布年份须为四位数字，如 2025"]
    assert client.get("/api/policies/search/", {"q": " "}).json() == {"q": ["请输入检索词"]}
    resp = client.get("/api/policies/search/", {"q": "加装电梯", "level": "galaxy"})
    assert resp.status_code == 400 and "level" in resp.json()


def test_search_page_live_results_highlight_and_link(client, viewer, library):
    client.force_login(viewer)
    html = client.get("/policies/search/").content.decode()
    assert "政策检索" in html and 'hx-get="/policies/search/"' in html and 'data-testid="search-hit"' not in html
    html = client.get("/policies/search/", {"q": "广东钢质燃气管道使用多少年必须更新"}).content.decode()
    article = library["GD-2024-EQUIPMENT"].articles.get(ref="二、（七）")
    assert f'href="/policies/GD-2024-EQUIPMENT/{article.number}/#a{article.number}"' in html
    assert "<mark>燃气管道</mark>" in html
    partial = client.get("/policies/search/", {"q": "燃气管道"}, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<section id="search-results"') and "<html" not in partial
    # the user's words are escaped, never markup
    html = client.get("/policies/search/", {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_search_page_within_one_document_and_filters(client, viewer, library):
    client.force_login(viewer)
    html = client.get("/policies/search/", {"q": "公示", "document": "BJ-2024-JOINT-REVIEW"}).content.decode()
    assert "在本文件中" in html
    assert html.count('data-testid="search-hit"') >= 2
    assert "/policies/BJ-2024-OLD-BUILDINGS/" not in html  # the other Beijing measures also say 公示
    html = client.get("/policies/search/", {"q": "公示", "document": "NO-SUCH"}).content.decode()
    assert "政策库中没有编码为“NO-SUCH”的文件" in html
    html = client.get("/policies/search/", {"q": "公示", "year": "3000"}).content.decode()
    assert "发布年份不晚于 2100 年" in html

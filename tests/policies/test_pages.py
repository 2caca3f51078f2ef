"""The reading pages of the policy library (政策库): the list with its filters, the reader (table of
contents, articles, anchors, versions), the article page with the rules citing it, the metadata edit
(市级管理员, audited) and the import page's refusals."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cityrenew.core.models import AuditLog
from cityrenew.policies.models import Article, Item, Level, PolicyDocument, Section, Status, Structure

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def _doc(key: str, title: str, **kw) -> PolicyDocument:
    kw.setdefault("level", Level.MINISTRY)
    kw.setdefault("structure", Structure.OUTLINE)
    return PolicyDocument.objects.create(key=key, title=title, **kw)


def _article(doc: PolicyDocument, number: int, ref: str, text: str, *, label: str = "", heading: str = "",
             section: Section | None = None, items: tuple[tuple[str, str], ...] = ()) -> Article:
    a = Article.objects.create(document=doc, section=section, number=number, ref=ref, label=label or ref,
                               heading=heading, text=text)
    for i, (lb, t) in enumerate(items, 1):
        Item.objects.create(article=a, label=lb, text=t, order=i)
    return a


@pytest.fixture
def shelf(db):
    """A few documents as the ingest writes them (text from the seeds): a 条文式 one with chapters, an
    outline with items, and the check-up manual replacing the 2024 indicator list (excerpts). Whatever a
    session fixture ingested is removed first, inside the test's transaction (rolled back after it)."""
    PolicyDocument.objects.all().delete()
    bj = _doc("BJ-2024-JOINT-REVIEW", "北京市城市更新实施方案联合审查管理办法（试行）", level=Level.CITY, region="北京市",
              issuer="北京市住房和城乡建设委员会等五部门", structure=Structure.ARTICLES, status=Status.TRIAL,
              issued=dt.date(2024, 11, 26), effective=dt.date(2024, 11, 26), order=8,
              source="003_645a1165802b4a67.txt", line_start=2000, line_end=2240)
    ch1 = Section.objects.create(document=bj, label="第一章", title="总则", order=1)
    ch2 = Section.objects.create(document=bj, label="第二章", title="联合审查", order=2)
    _article(bj, 1, "第一条", "第一条 为规范本市城市更新实施方案联合审查工作，制定本办法。", section=ch1)
    _article(bj, 2, "第二条", "第二条 本办法适用于本市行政区域内城市更新实施方案的联合审查。", section=ch1)
    _article(bj, 3, "第三条", "第三条 实施方案应当公示，公示时间不少于15日。", section=ch2)
    mof = _doc("MOF-2025-11", "关于开展2025年度中央财政支持实施城市更新行动的通知", number="财办建〔2025〕11号",
               issuer="财政部办公厅、住房城乡建设部办公厅", issued=dt.date(2025, 4, 3), region="全国", order=2)
    sec = Section.objects.create(document=mof, label="二、", title="支持范围", order=1)
    _article(mof, 1, "二、（一）", "（一）支持城市更新重点任务。\n1. 推进城市地下管网更新改造。\n2. 推进老旧片区更新改造。",
             label="（一）", heading="支持城市更新重点任务", section=sec,
             items=(("1.", "推进城市地下管网更新改造。"), ("2.", "推进老旧片区更新改造。")))
    old = _doc("MOHURD-CHECKUP-2024", "城市体检基础指标体系（2024年版）", structure=Structure.INDICATORS, excerpt=True,
               issuer="住房和城乡建设部", issued=dt.date(2024, 1, 1), order=14)
    new = _doc("MOHURD-CHECKUP-2025", "城市体检工作手册（试行）", structure=Structure.INDICATORS, excerpt=True,
               issuer="住房和城乡建设部", issued=dt.date(2025, 5, 1), replaces=old, status=Status.TRIAL, order=13)
    _article(old, 1, "指标1", "指标1 存在使用安全隐患的住宅数量。", label="指标1")
    _article(new, 1, "指标1", "指标1 存在使用安全隐患的住宅数量（栋）。", label="指标1")
    _article(new, 2, "指标60", "指标60 问题整治完成率：已完成整治的问题数量占问题总数的比例。", label="指标60",
             heading="问题整治完成率")
    _doc("GB50180-2018", "城市居住区规划设计标准", number="GB 50180-2018", level=Level.STANDARD, issued=dt.date(2018, 7, 10),
         expires=TODAY - dt.timedelta(days=1), order=15)
    return {"bj": bj, "mof": mof, "old": old, "new": new}


def _rows(html: str) -> list[str]:
    return re.findall(r'data-testid="doc-([A-Z0-9-]+)"', html)


def test_list_groups_by_level_and_filters(client, viewer, shelf):
    client.force_login(viewer)
    html = client.get("/policies/").content.decode()
    assert _rows(html) == ["MOF-2025-11", "MOHURD-CHECKUP-2025", "MOHURD-CHECKUP-2024", "BJ-2024-JOINT-REVIEW",
                           "GB50180-2018"]  # 部委 → 市级 → 标准, the manifest's order within a level
    assert '<tr class="group-row"><td colspan="9">国家部委</td></tr>' in html
    assert "财办建〔2025〕11号" in html and "摘录" in html
    assert '<form method="get" action="/policies/search/" class="policy-search"' in html  # full-text search of articles
    # the article counts
    row = html[html.index('data-testid="doc-BJ-2024-JOINT-REVIEW"'):]
    assert re.search(r'<td class="num">3</td>', row[:row.index("</tr>")])

    def keys(query: str) -> list[str]:
        return _rows(client.get("/policies/?" + query).content.decode())

    assert keys("level=city") == ["BJ-2024-JOINT-REVIEW"]
    assert keys("region=北京市") == ["BJ-2024-JOINT-REVIEW"]
    assert keys("issuer=住房城乡建设部办公厅") == ["MOF-2025-11"]  # a joint issuer is split into its bodies
    assert keys("year=2025") == ["MOF-2025-11", "MOHURD-CHECKUP-2025"]
    assert keys("q=11号") == ["MOF-2025-11"]
    # status as of today: the dates and 替代关系 overrule the stored status
    assert keys("status=replaced") == ["MOHURD-CHECKUP-2024"]
    assert keys("status=expired") == ["GB50180-2018"]
    assert keys("status=trial") == ["MOHURD-CHECKUP-2025", "BJ-2024-JOINT-REVIEW"]
    assert keys("status=in_force") == ["MOF-2025-11"]
    assert 'data-testid="status-MOHURD-CHECKUP-2024">已被替代<' in html
    assert 'data-testid="status-GB50180-2018">已失效<' in html


def test_status_follows_the_dates_on_both_sides_of_the_day(client, viewer, shelf):
    client.force_login(viewer)
    gb = PolicyDocument.objects.get(key="GB50180-2018")
    gb.expires = TODAY  # valid through today
    gb.save()
    assert 'data-testid="status-GB50180-2018">现行有效<' in client.get("/policies/").content.decode()
    gb.expires, gb.effective = None, TODAY + dt.timedelta(days=1)
    gb.save()
    assert 'data-testid="status-GB50180-2018">尚未施行<' in client.get("/policies/").content.decode()
    gb.effective = TODAY
    gb.save()
    assert 'data-testid="status-GB50180-2018">现行有效<' in client.get("/policies/").content.decode()


def test_list_exports_and_refreshes_the_table_alone(client, viewer, shelf):
    client.force_login(viewer)
    resp = client.get("/policies/?level=city&export=xlsx")
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    partial = client.get("/policies/?level=city", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="policy-table").content.decode()
    assert partial.lstrip().startswith('<div id="policy-table"') and "<html" not in partial


def test_reader_shows_toc_text_anchors_and_citation_counts(client, viewer, shelf):
    client.force_login(viewer)
    client.get("/policies/BJ-2024-JOINT-REVIEW/")  # builds the in-process citation index once
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get("/policies/BJ-2024-JOINT-REVIEW/")
    html = resp.content.decode()
    assert resp.status_code == 200
    toc = html[html.index('data-testid="toc"'):html.index("</aside>")]
    assert "第一章 总则" in toc and "第二章 联合审查" in toc
    assert toc.index('href="#a1"') < toc.index("第二章") < toc.index('href="#a3"')
    art = html[html.index('id="a3"'):]
    art = art[:art.index("</article>")]
    assert "公示时间不少于15日" in art and 'href="/policies/BJ-2024-JOINT-REVIEW/3/"' in art
    assert '<strong class="art-label">第三条</strong>实施方案应当公示' in art  # the label once, not again from the text
    assert "北京市住房和城乡建设委员会等五部门" in html and "2024-11-26" in html and ">试行<" in html
    assert '<input type="hidden" name="document" value="BJ-2024-JOINT-REVIEW">' in html  # search within it
    # the seed file and its lines are for administrators only
    assert "003_645a1165802b4a67.txt" not in html and "2000" not in html
    # the document in three queries, the citation index built (the session and the user are the login's)
    doc_queries = [q["sql"] for q in ctx.captured_queries if "policies_" in q["sql"]]
    assert len(doc_queries) == 3, doc_queries


def test_reader_counts_the_rules_citing_each_article(client, viewer, shelf):
    client.force_login(viewer)
    html = client.get("/policies/MOHURD-CHECKUP-2025/").content.decode()
    assert 'data-testid="rules-2"' in html  # 指标60 is cited by the check-up indicator 60
    badge = re.search(r'data-testid="rules-2">(\d+) 条规则引用<', html)
    assert badge and int(badge.group(1)) >= 1
    assert 'data-testid="excerpt-badge"' in html


def test_items_are_shown_as_items(client, viewer, shelf):
    client.force_login(viewer)
    html = client.get("/policies/MOF-2025-11/").content.decode()
    art = html[html.index('id="a1"'):html.index("</article>", html.index('id="a1"'))]
    assert '<p class="item">1. 推进城市地下管网更新改造。</p>' in art
    assert '<strong class="art-label">（一）</strong>支持城市更新重点任务。' in art


def test_versions_banner_and_list(client, viewer, shelf):
    client.force_login(viewer)
    html = client.get("/policies/MOHURD-CHECKUP-2024/").content.decode()
    banner = re.search(r'data-testid="replaced-banner">(.*?)</div>', html, re.S).group(1)
    assert "本文件已被" in banner and "《城市体检工作手册（试行）》" in banner and "/policies/MOHURD-CHECKUP-2025/" in banner
    versions = html[html.index('data-testid="versions"'):]
    assert versions.index("城市体检基础指标体系（2024年版）") < versions.index("城市体检工作手册（试行）")
    new = client.get("/policies/MOHURD-CHECKUP-2025/").content.decode()
    assert 'data-testid="replaced-banner"' not in new and 'data-testid="versions"' in new
    # a document without versions shows neither
    bj = client.get("/policies/BJ-2024-JOINT-REVIEW/").content.decode()
    assert 'data-testid="versions"' not in bj and 'data-testid="replaced-banner"' not in bj


def test_article_page_lists_the_citing_rule(client, viewer, shelf):
    client.force_login(viewer)
    html = client.get("/policies/MOHURD-CHECKUP-2025/2/").content.decode()
    rules = html[html.index('data-testid="citing-rules"'):html.index("</section>", html.index('data-testid="citing-rules"'))]
    assert "体检指标 60. 问题整治完成率" in rules
    assert ">《城市体检工作手册（试行）》指标60</textarea>" in html  # 引用本条, ready to copy
    assert 'data-testid="previous"' in html and 'href="/policies/MOHURD-CHECKUP-2025/1/"' in html
    assert 'data-testid="next"' not in html  # the last article
    assert "问题整治完成率：已完成整治的问题数量占问题总数的比例" in html


def test_article_citation_text_has_the_document_number(client, viewer, shelf):
    client.force_login(viewer)
    html = client.get("/policies/MOF-2025-11/1/").content.decode()
    assert ">《关于开展2025年度中央财政支持实施城市更新行动的通知》（财办建〔2025〕11号）二、（一）</textarea>" in html
    assert "系统中暂无规则引用本条" in html or 'data-testid="citing-rule"' in html


def test_unknown_document_or_article_is_a_chinese_404(client, viewer, shelf):
    client.force_login(viewer)
    resp = client.get("/policies/NO-SUCH-DOC/")
    assert resp.status_code == 404 and "政策库中没有编码为“NO-SUCH-DOC”的文件" in resp.content.decode()
    resp = client.get("/policies/BJ-2024-JOINT-REVIEW/4/")
    assert resp.status_code == 404
    assert "《北京市城市更新实施方案联合审查管理办法（试行）》中没有第 4 个条文（共 3 个）" in resp.content.decode()
    assert client.get("/policies/BJ-2024-JOINT-REVIEW/3/").status_code == 200  # the last one exists


def test_pages_need_login_and_admin_sees_the_source(client, viewer, city_admin, shelf):
    for url in ["/policies/", "/policies/BJ-2024-JOINT-REVIEW/", "/policies/BJ-2024-JOINT-REVIEW/1/"]:
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Location"].startswith("/login/"), url
    client.force_login(city_admin)
    html = client.get("/policies/BJ-2024-JOINT-REVIEW/").content.decode()
    source = re.search(r'data-testid="doc-source">(.*?)</dd>', html, re.S).group(1)
    assert "003_645a1165802b4a67.txt L2000-L2240" in source


def test_navigation_names_the_library(client, viewer, shelf):
    client.force_login(viewer)
    html = client.get("/").content.decode()
    assert '<a href="/policies/" class="">政策库</a>' in html


def test_edit_needs_a_city_admin_and_is_audited(client, viewer, zhongyuan_editor, city_admin, shelf):
    bj = shelf["bj"]
    url = f"/policies/{bj.key}/edit/"
    for user in (viewer, zhongyuan_editor):
        client.force_login(user)
        resp = client.get(url)
        assert resp.status_code == 403 and "只有市级管理员可以修改政策文件的效力信息" in resp.content.decode()
        resp = client.post(url, {"status": Status.EXPIRED, "row_version": bj.row_version})
        assert resp.status_code == 403
    bj.refresh_from_db()
    assert bj.status == Status.TRIAL
    client.force_login(city_admin)
    html = client.get(url).content.decode()
    assert 'name="status"' in html and 'name="title"' not in html  # the text's own fields are not editable
    resp = client.post(url, {"status": Status.IN_FORCE, "issued": "2024-11-26", "effective": "2024-12-01",
                             "expires": "2026-11-30", "replaces": "", "note": "试行期两年", "row_version": bj.row_version})
    assert resp.status_code == 302 and resp["Location"] == "/policies/BJ-2024-JOINT-REVIEW/"
    bj.refresh_from_db()
    assert (bj.status, bj.effective, bj.expires, bj.note) == (Status.IN_FORCE, dt.date(2024, 12, 1), dt.date(2026, 11, 30), "试行期两年")
    entry = AuditLog.for_object(bj).order_by("-pk").first()
    assert entry.user == city_admin and "expires" in entry.changes and "status" in entry.changes
    history = client.get(f"/policies/{bj.key}/history/").content.decode()
    assert "有效期至" in history


def test_edit_refuses_bad_dates_and_circular_versions(client, city_admin, shelf):
    client.force_login(city_admin)
    old = shelf["old"]
    resp = client.post(f"/policies/{old.key}/edit/", {"status": Status.IN_FORCE, "issued": "2024-01-01",
                                                      "effective": "2023-12-31", "replaces": shelf["new"].pk,
                                                      "row_version": old.row_version})
    html = resp.content.decode()
    assert resp.status_code == 400
    assert "施行日期（2023-12-31）早于发布日期（2024-01-01）" in html
    assert "不能互相替代" in html
    old.refresh_from_db()
    assert old.replaces is None and old.effective is None


def test_import_page_is_for_city_admins_and_refuses_wrong_files(client, viewer, city_admin, shelf, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DATA_DIR = tmp_path
    client.force_login(viewer)
    assert client.get("/policies/import/").status_code == 403
    client.force_login(city_admin)
    form = {"key": "ZZ-2025-LOCAL", "title": "郑州市城市更新实施细则", "level": Level.CITY, "status": Status.IN_FORCE}

    resp = client.post("/policies/import/", {**form, "file": SimpleUploadedFile("细则.xlsx", b"PK\x03\x04 not really")})
    assert resp.status_code == 400
    assert "不支持的文件类型“细则.xlsx”：请上传文本文件（.txt，UTF-8 或 GBK）、Word 文档（.docx）或带文字层的 PDF（.pdf）" in resp.content.decode()
    # the name says PDF, the content is a web page
    resp = client.post("/policies/import/", {**form, "file": SimpleUploadedFile("细则.pdf", b"<html><script>x</script></html>")})
    assert resp.status_code == 400 and "文件“细则.pdf”的扩展名是 .pdf，但内容是HTML 网页" in resp.content.decode()
    # a built-in key, a key already imported (without 替换), an ill-formed one
    def post_key(key: str) -> str:
        resp = client.post("/policies/import/", {**form, "key": key, "file": SimpleUploadedFile("a.txt", "第一条 内容".encode())})
        assert resp.status_code == 400
        return resp.content.decode()

    assert "编码“MOF-2025-11”已是系统内置政策文件的编码" in post_key("MOF-2025-11")
    _doc("ZZ-LOCAL-1", "郑州市老旧小区改造实施细则", level=Level.CITY)
    assert "编码“ZZ-LOCAL-1”已被《郑州市老旧小区改造实施细则》使用；如需用新文件重建它，请勾选“替换同一编码的已导入文件”" in post_key("ZZ-LOCAL-1")
    assert "编码“zz 2025”无效" in post_key("zz 2025")
    assert not (tmp_path / "uploads" / "policy-imports").exists() or not any((tmp_path / "uploads" / "policy-imports").iterdir())
    assert PolicyDocument.objects.filter(key="ZZ-2025-LOCAL").count() == 0


def test_api_lists_documents_and_articles(client, viewer, shelf):
    client.force_login(viewer)
    data = client.get("/api/policies/documents/?level=city").json()
    assert [d["key"] for d in data["results"]] == ["BJ-2024-JOINT-REVIEW"]
    assert data["results"][0]["n_articles"] == 3 and data["results"][0]["current_status_display"] == "试行"
    one = client.get("/api/policies/documents/MOHURD-CHECKUP-2025/").json()
    assert one["replaces"] == "MOHURD-CHECKUP-2024" and one["page"] == "/policies/MOHURD-CHECKUP-2025/"
    arts = client.get("/api/policies/articles/?document=MOF-2025-11").json()["results"]
    assert arts[0]["ref"] == "二、（一）" and [i["label"] for i in arts[0]["items"]] == ["1.", "2."]
    assert client.get("/api/policies/documents/?status=replaced").json()["results"][0]["key"] == "MOHURD-CHECKUP-2024"


SEED_003 = Path(__file__).resolve().parents[2] / "cityrenew" / "policies" / "data" / "seeds" / "003_645a1165802b4a67.txt"


def test_import_page_runs_the_job_and_the_document_is_readable(client, city_admin, viewer, shelf, tmp_path, settings):
    """A city's own document through the page: the real text of the Beijing measures (seed 003, its
    lines 2000–2240) saved as a GBK text file, parsed by the background job, then read on the reader."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cityrenew.jobs.choices import JobStatus
    from cityrenew.jobs.models import Job
    from cityrenew.jobs.runner import run_pending

    settings.DATA_DIR = tmp_path
    lines = SEED_003.read_text(encoding="utf-8").splitlines()[2021:2240]  # lines 2022–2240: 第一章 总则 … 第十九条
    body = "\n".join(lines).encode("gbk", errors="ignore")
    client.force_login(city_admin)
    resp = client.post("/policies/import/", {
        "file": SimpleUploadedFile("北京联审办法.txt", body), "key": "BJ-LOCAL-REVIEW", "title": "《北京市城市更新实施方案联合审查管理办法（试行）》",
        "issuer": "北京市住房和城乡建设委员会", "level": Level.PROVINCE, "region": "北京市", "issued": "2024-11-26",
        "status": Status.TRIAL, "structure": ""})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    job = Job.objects.get(kind="policies.import")
    assert job.params["meta"]["title"] == "北京市城市更新实施方案联合审查管理办法（试行）"  # 书名号 dropped
    run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    doc = PolicyDocument.objects.get(key="BJ-LOCAL-REVIEW")
    assert doc.source == "北京联审办法.txt" and doc.issued == dt.date(2024, 11, 26)
    assert job.result_summary["links"][0]["url"] == "/policies/BJ-LOCAL-REVIEW/"
    n = doc.articles.count()
    assert n == 19 and job.result_summary["text"].endswith(f"：{n} 条")
    client.force_login(viewer)
    html = client.get("/policies/BJ-LOCAL-REVIEW/").content.decode()
    assert 'href="#a19"' in html and "第十九条" in html


def test_an_unparseable_file_fails_the_job_in_chinese_and_writes_nothing(client, city_admin, shelf, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cityrenew.jobs.choices import JobStatus
    from cityrenew.jobs.models import Job
    from cityrenew.jobs.runner import run_pending

    settings.DATA_DIR = tmp_path
    client.force_login(city_admin)
    text = "\n".join(SEED_003.read_text(encoding="utf-8").splitlines()[2003:2010])  # the cover letter: no numbering
    resp = client.post("/policies/import/", {"file": SimpleUploadedFile("通知.txt", text.encode()), "key": "BJ-LETTER",
                                             "title": "印发通知", "level": Level.PROVINCE, "status": Status.IN_FORCE})
    assert resp.status_code == 302
    run_pending()
    job = Job.objects.get(kind="policies.import")
    assert job.status == JobStatus.FAILED and "未能识别文件“通知.txt”的文本结构" in job.error
    assert not PolicyDocument.objects.filter(key="BJ-LETTER").exists()


def test_the_ingested_library_is_listed_and_its_rules_shown(client, viewer, library):
    """The real library (every seed document and excerpt): the list, and an article of the 2025 funding
    notice with the project-library rules that rest on it, named as the code names them."""
    client.force_login(viewer)
    html = client.get("/policies/").content.decode()
    assert f"共 {PolicyDocument.objects.count()} 个文件" in html
    assert "郑建文〔2025〕45号" in html and "国办发〔2020〕23号" in html and "财办建〔2025〕11号" in html
    # nothing of the seed files for a reader: names, folders, line ranges
    # (the random CSRF token may contain anything, e.g. "L635": it is not page text)
    text = re.sub(r'(X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]*"', "", html)
    assert "seeds" not in text and ".txt" not in text and not re.search(r"L\d{3,}", text)
    article = Article.objects.get(document__key="MOF-2025-11", ref="四、（二）")
    page = client.get(article.get_absolute_url()).content.decode()
    rules = page[page.index('data-testid="citing-rules"'):page.index("</section>", page.index('data-testid="citing-rules"'))]
    assert "项目状态（谋划、储备、入库）" in rules and "项目库汇总只计入库项目" in rules
    reader = client.get("/policies/MOF-2025-11/").content.decode()
    badge = re.search(rf'data-testid="rules-{article.number}">(\d+) 条规则引用<', reader)
    assert badge and int(badge.group(1)) == rules.count('data-testid="citing-rule"') >= 2

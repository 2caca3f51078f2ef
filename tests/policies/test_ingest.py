"""Ingest of the policy library: the seed documents at article level, cleaning, and a city's own files.

The article counts below were verified by reading seed 003: for each 提纲式 document, the 序言, one
article per （N）, and one per 一、 section that has no （N） or has text of its own before its first
（N）; for the 条文式 Beijing documents one per 第N条; for the annex tables one per printed row plus
the header (表头) and, for the project library, its 合计 row; a closing paragraph after the last
numbered part (本方案自印发之日起施行…) is 结语.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter

import pytest

from cityrenew.catalogue.policies import CLEANING, DOCUMENTS
from cityrenew.core.models import AuditLog
from cityrenew.policies.ingest import (
    PolicyImportError,
    import_document,
    ingest_seeds,
    seed_lines,
)
from cityrenew.policies.models import Article, PolicyDocument
from cityrenew.policies.text import despace, mask_personal, normalize_chars

CHROMIUM = os.environ.get("CITYRENEW_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

SEED_003 = "003_645a1165802b4a67.txt"

# seed 003, in the order of the booklet: key → number of articles
SEED_003_ARTICLES = {
    "CPC-2025-URBAN-RENEWAL": 17,  # 序言, 一、, 二、（一）–（八）, 三、（一）–（六）, 四、
    "MOF-2025-11": 15,
    "GF-2024-17": 17,
    "GF-2024-7": 22,
    "GBF-2020-23": 23,
    "JK-2023-30": 6,
    "MNR-2024-25": 5,
    "BJ-2024-JOINT-REVIEW": 19,  # 第一条–第十九条
    "BJ-2024-OLD-BUILDINGS": 32,  # 第一条–第三十二条
    "HA-2023-51": 26,
    "HA-2024-128": 24,
    "HE-2023-114": 23,
    "HE-2024-EQUIPMENT": 20,
    "SD-2023-168": 16,
    "SD-2023-DISTRICTS": 7,  # 序言 + 一、–六、 (its measures 1.–20. are items)
    "SH-2024-380": 18,
    "SX-2024-EQUIPMENT": 26,  # … and 结语 (本方案根据…动态完善)
    "AH-2021-13": 18,
    "HUN-2024-15": 14,
    "FJ-2024-URBANIZATION": 25,
    "GD-2024-EQUIPMENT": 20,
    "JS-2024-3": 20,  # 序言, 一、（一）–六、（十八）, 结语 (本文件自2024年6月11日施行…)
    "HN-EQUIPMENT-CATALOGUE": 11,  # 表头 + 序号1–10
    "ZZ-PROJECT-LIBRARY": 278,  # 表头 + 序号1–276 + 合计
    "ZZJW-2025-45": 24,  # 表头 + 序号1–23
    "CD-CONSULTING-PROJECTS": 39,  # 表头 + 序号1–38
}


def test_seed_003_documents_and_article_counts(library):
    found = {
        d.key: d.articles.count()
        for d in PolicyDocument.objects.filter(source__startswith=SEED_003).order_by("line_start")
    }
    assert found == SEED_003_ARTICLES
    assert list(found) == list(SEED_003_ARTICLES)  # in the booklet's order


def test_all_five_seeds_ingested(library):
    seeds = set(PolicyDocument.objects.exclude(source="").values_list("source", flat=True))
    assert {s.split()[0] for s in seeds} == {
        "000_81d4c72e28a39d8b.txt", "001_b58d9c188b68b7bf.txt", "002_0974e2829616dbc9.txt", SEED_003,
        "004_1b0a0934cbaaf73b.txt",
    }
    assert set(DOCUMENTS) <= set(library)  # every registered key has its row, seed or not
    hq = library["CPC-2025-HQ-URBAN"]
    assert (hq.issuer, str(hq.issued), hq.articles.count()) == ("中共中央、国务院", "2025-08-15", 26)
    assert library["NEWS-XINHUA-2026-RENEWAL"].articles.filter(ref="第1段").exists()


def _article(key: str, ref: str) -> Article:
    return Article.objects.get(document__key=key, ref=ref)


@pytest.mark.parametrize("key, ref, lines, text", [
    ("BJ-2024-JOINT-REVIEW", "第十一条", (2132, 2134),
     "城市更新实施方案通过联合审查的，项目情况应在城市更新信息系统进行公示，公示时间不得少于15个工作日。"),
    ("BJ-2024-JOINT-REVIEW", "第十九条", (2240, 2240), "本办法自2024年12月20日起施行，有效期3年。"),
    ("MOF-2025-11", "四、（一）", (391, 399),
     ("中央财政资金补助标准。中央财政按区域对实施城市更新行动城市给予定额补助。其中：东部地区每个城市补助总额不超过8亿元，"
     "中部地区每个城市补助总额不超过10亿元，西部地区每个城市补助总额不超过12亿元，直辖市每个城市补助总额不超过12亿元。"
     "资金根据工作推进情况分年拨付到位。")),
    ("GBF-2020-23", "二、（一）", (1486, 1492),
     ("明确改造对象范围。城镇老旧小区是指城市或县城（城关镇）建成年代较早、失养失修失管、市政配套设施不完善、社区服务设施"
     "不健全、居民改造意愿强烈的住宅小区（含单栋住宅楼）。各地要结合实际，合理界定本地区改造对象范围，重点改造2000年底前"
     "建成的老旧小区。")),
    ("BJ-2024-OLD-BUILDINGS", "第七条", (2359, 2383),
     ("纳入老旧楼宇基础台账的，鼓励物业权利人主动推动、配合更新。鼓励物业权利人对楼宇进行能源审计，并根据建议采取相应措施节约"
     "资源，提升节能绿色化水平。连续两年用能超过标准约束值百分之八十的，物业权利人应当按照规定实施节能绿色化改造。\n"
     "属于本办法第二条第二款第一类老旧楼宇的，物业权利人应当对楼宇进行房屋结构综合安全性鉴定，并根据鉴定报告的处理建议对楼宇"
     "采取修缮、加固等解除危险的更新改造措施；其中，符合以下情形之一的，物业权利人应当根据鉴定报告的处理建议使用或停止使用楼宇，"
     "并及时进行更新。没有能力更新的，可以向区人民政府申请收购建筑物、退回土地。\n"
     "（一）按《危险性房屋鉴定标准》进行鉴定，房屋危险性等级为C、D级；\n"
     "（二）按《房屋结构综合安全性鉴定标准》进行鉴定，结构安全或抗震等级为C、D级。")),
    ("HN-EQUIPMENT-CATALOGUE", "序号1", (7232, 7246),
     ("住宅老旧电梯更新无符合《电梯主要部件报废技术条件》（GB/T 31821-2015）规定的，且修理后仍不能符合要求或修理成本过高的，"
     "由业主共同决定是否需要更新。")),
    ("ZZ-PROJECT-LIBRARY", "序号11", (7524, 7528), "K202312001 中原区常庄水库南部片区城市更新（综合提升）项目 80.4"),
    ("ZZ-PROJECT-LIBRARY", "合计", (8443, 8443), "合计 （亿元） 7895.45"),  # table cells keep their spacing
    ("NEWS-XINHUA-2026-RENEWAL", "第10段", (27, 29), "透过多地两会释放的信息,记者观察到,推进完整社区建设成新趋势。"),
])
def test_sample_articles_equal_the_seed_lines(library, key, ref, lines, text):
    a = _article(key, ref)
    assert (a.line_start, a.line_end) == lines
    assert a.text == text


def test_headings_items_and_sections(library):
    a = _article("CPC-2025-URBAN-RENEWAL", "二、（一）")
    assert (a.label, a.heading, a.section.label, a.section.title) == ("（一）", "加强既有建筑改造利用", "二、", "主要任务")
    assert a.anchor == f"a{a.number}"
    review = _article("BJ-2024-JOINT-REVIEW", "第十二条")
    assert [i.label for i in review.items.all()] == [f"（{n}）" for n in "一二三四五六七八"]
    assert review.section.label == "第三章"
    districts = _article("SD-2023-DISTRICTS", "六、")
    assert [(i.label, i.text[:6]) for i in districts.items.all()] == [("19.", "推动试点创新"), ("20.", "打造示范项目")]
    row = _article("ZZ-PROJECT-LIBRARY", "序号1")
    assert (row.heading, row.section.label) == ("金水河“一河两岸”项目", "市内五区")
    assert _article("HN-EQUIPMENT-CATALOGUE", "序号6").heading == "液化石油气充装站标准化更新建设"
    assert _article("SX-2024-EQUIPMENT", "三、（二）").heading == "积极开展设施设备评估（2024年7月-2024年8月）"


def _seed_span(key: str, start: int, end: int) -> str:
    """The seed lines start..end as the ingest sees them, without any whitespace: the document's
    dropped lines and the page footers out, personal data masked, the OCR fixes applied."""
    spec = DOCUMENTS[key]
    furniture = [re.compile(p) for p in CLEANING["furniture"]]
    lines = seed_lines(spec.seed)
    kept = []
    for no in range(start, end + 1):
        text = lines[no - 1].strip()
        if no in spec.drop or any(p.search(text) for p in furniture):
            continue
        if spec.structure != "table" and re.fullmatch(r"\d{1,4}", text):
            continue
        kept.append(re.sub(r"^#+", "", normalize_chars(text)))
    joined = re.sub(r"\s+", "", mask_personal("\n".join(kept)))
    for wrong, right in spec.fixes:
        joined = joined.replace(wrong, right)
    return joined


def test_every_article_text_comes_from_its_seed_lines(library):
    """All ~960 articles: each piece of the text is in the seed between the article's line numbers."""
    checked = 0
    for a in Article.objects.filter(document__line_start__isnull=False).select_related("document"):
        span = _seed_span(a.document.key, a.line_start, a.line_end)
        for piece in re.split(r"\s+", a.text):
            assert piece in span, (a.document.key, a.ref, piece)
        checked += 1
    assert checked == sum(library[k].articles.count() for k in DOCUMENTS if DOCUMENTS[k].seed)
    assert checked > 900


def test_refs_follow_the_convention(library):
    refs = Article.objects.filter(document__source__startswith=SEED_003).values_list("ref", flat=True)
    pattern = re.compile(r"^(序言|结语|表头|合计|序号\d+|第[一二三四五六七八九十]+条|[一二三四五六七八九十]+、(（[一二三四五六七八九十]+）)?)$")
    assert [r for r in refs if not pattern.match(r)] == []
    news = Article.objects.filter(document__key="NEWS-GMRB-WANG-CONGCHUN").values_list("ref", flat=True)
    assert list(news) == [f"第{n}段" for n in range(1, len(news) + 1)]


# --- cleaning -------------------------------------------------------------------------------------


def test_cleaning_of_the_seeds(library):
    texts = "\n".join(Article.objects.filter(document__source__startswith=SEED_003).values_list("text", flat=True))
    assert "翠竹街" not in texts and "67789598" not in texts  # the publisher's page footer (L869 …)
    # a footer sat between L867 and L871 inside GF-2024-17 二、（二）: the sentence runs on across it
    assert "翠竹街" in seed_lines(SEED_003)[868]
    js = _article("JS-2024-3", "一、（三）").document.articles.values_list("text", flat=True)
    js_text = "".join(js)
    assert "顶目" not in js_text and "优桌" not in js_text and "若千" not in js_text  # OCR fixes of the manifest
    assert "对目录清单中的一般项目进一步优化" in js_text and "积极落实税费优惠政策" in js_text
    assert "社会投资人+EPC" in js_text
    assert "入库时更正的识别错误：“若千”→“若干”、“顶目”→“项目”" in library["JS-2024-3"].note  # said, not silent
    # spaces inside Chinese words and around numbers gone, a space between Latin letters and digits kept
    cpc = _article("CPC-2025-URBAN-RENEWAL", "二、（一）").text
    assert " " not in cpc and "D级危险住房" in cpc
    assert "（GB 50014）" in _article("GD-2024-EQUIPMENT", "二、（七）").text
    assert _article("JS-2024-3", "五、（十一）").text.startswith("完善消防审验技术流程。在改善消防条件、提升消防本质安全水平")


def test_personal_data_masked_on_ingest(library):
    notice = PolicyDocument.objects.get(key="NEWS-000-PAGE").articles.filter(text__contains="身份证号").get()
    assert "370831********3913" in notice.text and "370831198110253913" not in notice.text
    cert = PolicyDocument.objects.get(key="NEWS-000-PAGE").articles.filter(text__contains="残疾证").get()
    assert "142723**********1142" in cert.text
    contact = _article("MOF-2025-11", "六、（四）").text
    assert "010—****4521" in contact and "68554521" not in contact
    result = ingest_seeds()
    assert result["masked"] == {"id": 2, "landline": 2}
    assert "已脱敏 身份证号 2 处、固定电话 2 处" in result["summary"]


def test_parser_numbering_rules():
    from cityrenew.policies.parser import parse
    from cityrenew.policies.text import Line

    lines = [Line(n, t, hard_break=True) for n, t in enumerate([
        "一、总体要求", "（一）第一段。", "（二）第二段，涉及", "2.5倍的容积率。", "（二）重复的编号。", "二、保障措施", "四、跳号的条目。",
    ], 1)]
    doc = parse(lines, "outline")
    got = [(a.ref, a.label, a.text, a.line_start, a.line_end) for a in doc.articles]
    assert got == [
        ("一、（一）", "（一）", "第一段。", 2, 2),
        ("一、（二）", "（二）", "第二段，涉及\n2.5倍的容积率。", 3, 4),  # 2.5 is a number, not item 2.
        ("一、（二）之2", "（二）", "重复的编号。", 5, 5),  # the source repeats （二）: the ref stays unique
        ("四、", "四、", "跳号的条目。", 7, 7),  # 二、 has no text of its own; 四、 follows (one number skipped)
    ]
    assert [s.label for s in doc.sections] == ["一、", "二、", "四、"]


def test_manifest_errors_are_named(tmp_path):
    from cityrenew.catalogue.policies import load_manifest

    bad = tmp_path / "m.toml"
    bad.write_text('[[document]]\nkey = "A"\ntitle = "甲"\nsede = "x.txt"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="第 1 个文件（A）：未知字段 sede"):
        load_manifest(bad)
    bad.write_text('[[document]]\nkey = "A"\ntitle = "甲"\n[[document]]\nkey = "A"\ntitle = "乙"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="编码 A 重复"):
        load_manifest(bad)
    docs, cleaning = load_manifest()
    assert len(docs) == len(DOCUMENTS) == 39 and cleaning == CLEANING


def test_mask_personal_cases():
    counts = Counter()
    text = mask_personal("电话：0371-67789598，手机13812345678，身份证41010519900307123X，编号20251234", counts)
    assert text == "电话：0371-****9598，手机138****5678，身份证410105********123X，编号20251234"
    assert counts == Counter(landline=1, mobile=1, id=1)
    assert despace("（2025 年 5 月 2 日） GB 55027 改 造 联东 U 谷") == "（2025年5月2日）GB 55027改造联东U谷"
    assert normalize_chars("⽼旧⼩区第⼀条（一）") == "老旧小区第一条（一）"


def test_ingest_is_idempotent_and_audited(library):
    ids = dict(PolicyDocument.objects.values_list("key", "id"))
    logs = AuditLog.objects.count()
    result = ingest_seeds()
    assert result["created"] == [] and result["updated"] == [] and len(result["unchanged"]) == len(DOCUMENTS)
    assert AuditLog.objects.count() == logs  # nothing changed, nothing logged
    # an article edited by hand is put back from the seed, and the rebuild is audited
    a = _article("GBF-2020-23", "二、（一）")
    Article.objects.filter(pk=a.pk).update(text="（被改动）")
    result = ingest_seeds()
    assert result["updated"] == ["GBF-2020-23"]
    assert _article("GBF-2020-23", "二、（一）").text.startswith("明确改造对象范围。")
    assert dict(PolicyDocument.objects.values_list("key", "id")) == ids  # document rows keep their ids
    log = AuditLog.objects.filter(object_id=str(ids["GBF-2020-23"]), content_type__model="policydocument").first()
    assert (log.source, log.user_id, log.changes) == ("system", None, {"条文": [23, 23]})
    # 964 articles from the seeds + 149 of the excerpt documents (手册 67, 2024年清单 61, GB/T 2260 14, 民法典 5, 建筑物区分所有权解释 2)
    assert log.note == "政策库入库：按原文重建条文（政策库入库：39 个文件、1113 条条文，已脱敏 身份证号 2 处、固定电话 2 处）"
    created = AuditLog.objects.filter(object_id=str(ids["GBF-2020-23"]), content_type__model="policydocument",
                                      action="create").get()
    assert created.note == "政策库入库：39 个文件、1113 条条文，已脱敏 身份证号 2 处、固定电话 2 处"
    # versions: the 2025 check-up manual replaces the 2024 indicator list
    assert library["MOHURD-CHECKUP-2025"].replaces.key == "MOHURD-CHECKUP-2024"


# --- a city's own documents ----------------------------------------------------------------------

LOCAL_TXT = """郑州市城镇老旧小区改造管理办法

第一章 总则

第一条 为规范城镇老旧小区改 造工作，制定本办法。

第二条 本办法所称老旧小区，是指 2000 年底前建成的住宅小区。
改造内容包括：
（一）基础类；
（二）完善类。

地址：郑州市高新技术开发区翠竹街 1号 95幢 电话：0371-6778959819
第二章 实施

第三条 项目联系人张三，联系电话 13812345678，身份证号 410105199003071234，办公电话 0371-67789598。

12

第四条 本办法自 2025 年 1 月 1 日起施行。
"""


def _count():
    return PolicyDocument.objects.count(), Article.objects.count(), AuditLog.objects.count()


def test_import_txt_cleans_and_masks(db, tmp_path, city_admin):
    path = tmp_path / "郑州市老旧小区改造管理办法.txt"
    path.write_text(LOCAL_TXT, encoding="utf-8")
    doc = import_document(path, {"key": "ZZ-2025-OLD", "title": "郑州市城镇老旧小区改造管理办法", "number": "郑政〔2025〕1号",
                                 "issued": "2025-01-01", "region": "郑州市"}, city_admin)
    assert (doc.structure, doc.level, doc.source) == ("articles", "city", path.name)
    arts = {a.ref: a for a in doc.articles.all()}
    assert list(arts) == ["序言", "第一条", "第二条", "第三条", "第四条"]
    assert arts["序言"].text == "郑州市城镇老旧小区改造管理办法"
    assert arts["第一条"].text == "为规范城镇老旧小区改造工作，制定本办法。"
    assert arts["第二条"].text == "本办法所称老旧小区，是指2000年底前建成的住宅小区。\n改造内容包括：\n（一）基础类；\n（二）完善类。"
    assert [i.label for i in arts["第二条"].items.all()] == ["（一）", "（二）"]
    assert arts["第三条"].text == "项目联系人张三，联系电话138****5678，身份证号410105********1234，办公电话0371-****9598。"
    assert arts["第四条"].text == "本办法自2025年1月1日起施行。"  # the page number 12 and the footer are gone
    assert doc.masked == {"mobile": 1, "id": 1, "landline": 1}
    assert [s.label for s in doc.sections.all()] == ["第一章", "第二章"]
    log = AuditLog.objects.filter(object_id=str(doc.pk), content_type__model="policydocument", action="create").get()
    assert log.user == city_admin and "已脱敏 身份证号 1 处、手机号码 1 处、固定电话 1 处" in log.note
    # the same key again is refused unless replacing
    with pytest.raises(PolicyImportError, match="已存在"):
        import_document(path, {"key": "ZZ-2025-OLD", "title": "again"}, city_admin)


def test_import_docx(db, tmp_path):
    from docx import Document

    document = Document()
    document.add_paragraph("关于推进既有住宅加装电梯的实施意见")
    document.add_paragraph("一、总体要求")
    document.add_paragraph("坚持业主自愿、政府引导。")
    document.add_paragraph("二、主要措施")
    document.add_paragraph("（一）简化审批。加装电梯项目实行联合审查。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "类别", "补贴上限"
    table.cell(1, 0).text, table.cell(1, 1).text = "多层住宅", "20万元"
    document.add_paragraph("（二）财政补贴。每部电梯补贴不超过20万元。")
    path = tmp_path / "加装电梯.docx"
    document.save(path)
    doc = import_document(path, {"key": "ZZ-LIFT", "title": "关于推进既有住宅加装电梯的实施意见", "level": "city"})
    got = [(a.ref, a.heading, a.text) for a in doc.articles.all()]
    assert got == [
        ("序言", "", "关于推进既有住宅加装电梯的实施意见"),
        ("一、", "总体要求", "坚持业主自愿、政府引导。"),
        ("二、（一）", "简化审批", "简化审批。加装电梯项目实行联合审查。\n类别｜补贴上限\n多层住宅｜20万元"),  # its table, in place
        ("二、（二）", "财政补贴", "财政补贴。每部电梯补贴不超过20万元。"),
    ]
    assert doc.structure == "outline"


def _chromium_pdf(tmp_path, html: str):
    src = tmp_path / "doc.html"
    src.write_text(f'<html><head><meta charset="utf-8"></head><body>{html}</body></html>', encoding="utf-8")
    out = tmp_path / "doc.pdf"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={out}", src.as_uri()], check=True, capture_output=True, timeout=120)
    return out


def test_import_pdf_with_text_layer(db, tmp_path):
    path = _chromium_pdf(tmp_path, "<p>郑州市老旧小区改造资金管理办法</p><p>第一条 为规范老旧小区改造资金管理，制定本办法。</p>"
                                   "<p>第二条 本办法自2025年1月1日起施行。</p>")
    doc = import_document(path, {"key": "ZZ-FUND", "title": "郑州市老旧小区改造资金管理办法"})
    assert dict(doc.articles.values_list("ref", "text")) == {
        "序言": "郑州市老旧小区改造资金管理办法",  # the PDF font maps 老 and 小 to Kangxi radicals: normalised
        "第一条": "为规范老旧小区改造资金管理，制定本办法。",
        "第二条": "本办法自2025年1月1日起施行。",
    }


def test_bad_files_are_refused_and_nothing_is_saved(db, tmp_path):
    from pypdf import PdfWriter

    before = _count()
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(PolicyImportError, match="空文件"):
        import_document(empty, {"key": "X-1", "title": "空"})
    scanned = tmp_path / "scan.pdf"
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.write(scanned)
    with pytest.raises(PolicyImportError, match="没有文字层"):
        import_document(scanned, {"key": "X-2", "title": "扫描件"})
    prose = tmp_path / "prose.txt"
    prose.write_text("这是一段没有任何编号的说明文字。\n另一段说明。\n", encoding="utf-8")
    with pytest.raises(PolicyImportError, match="未能识别.*文本结构"):
        import_document(prose, {"key": "X-3", "title": "无编号"})
    doc = tmp_path / "x.doc"
    doc.write_text("第一条 内容", encoding="utf-8")
    with pytest.raises(PolicyImportError, match="不支持的文件类型"):
        import_document(doc, {"key": "X-4", "title": "旧版 Word"})
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(PolicyImportError, match="无法打开 Word 文件"):
        import_document(broken, {"key": "X-5", "title": "坏文件"})
    good = tmp_path / "ok.txt"
    good.write_text("第一条 内容。\n第二条 内容。\n", encoding="utf-8")
    with pytest.raises(PolicyImportError, match="编码.*无效"):
        import_document(good, {"key": "含 空格", "title": "x"})
    with pytest.raises(PolicyImportError, match="系统内置"):
        import_document(good, {"key": "GF-2024-17", "title": "x"})
    with pytest.raises(PolicyImportError, match="不是有效日期"):
        import_document(good, {"key": "X-6", "title": "x", "issued": "2025-13-01"})
    assert _count() == before
    # the same text as paragraphs (news, commentary) is accepted when the structure is named
    news = import_document(prose, {"key": "X-3", "title": "说明", "structure": "paragraphs", "level": "reference"})
    assert list(news.articles.values_list("ref", flat=True)) == ["第1段", "第2段"]


def test_cli_ingest_and_import(migrated_cli, tmp_path):
    run = migrated_cli
    r = run("policies", "ingest")
    assert r.returncode == 0, r.stderr
    assert "政策库入库：39 个文件" in r.stdout and "JS-2024-3《关于支持城市更新行动的若干政策措施》：20 条" in r.stdout
    assert run.database.scalar("select count(*) from policies_article") == 1113  # 964 from the seeds, 149 of the excerpt documents
    path = tmp_path / "local.txt"
    path.write_text(LOCAL_TXT, encoding="utf-8")
    r = run("policies", "import", str(path), "--key", "ZZ-2025-OLD", "--title", "郑州市城镇老旧小区改造管理办法",
            "--number", "郑政〔2025〕1号", "--issued", "2025-01-01")
    assert r.returncode == 0, r.stderr
    assert "已导入《郑州市城镇老旧小区改造管理办法》（郑政〔2025〕1号）：5 条（条文式（第N条））" in r.stdout
    assert "已脱敏 身份证号 1 处、手机号码 1 处、固定电话 1 处" in r.stdout
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    r = run("policies", "import", str(empty), "--key", "X-1", "--title", "空")
    assert r.returncode == 1 and "导入失败：文件“empty.txt”是空文件（数据库未修改）" in r.stderr
    assert "Traceback" not in r.stderr


def test_import_as_a_background_job(db, tmp_path, city_admin, settings):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cityrenew.core.uploads import stash_upload
    from cityrenew.jobs.choices import JobStatus
    from cityrenew.jobs.runner import launch, run_pending
    from cityrenew.policies.ingest import check_upload
    from cityrenew.policies.jobs import UPLOAD_KIND

    settings.DATA_DIR = tmp_path  # uploads are kept under the data dir
    upload = SimpleUploadedFile("办法.txt", LOCAL_TXT.encode("utf-8"), content_type="text/plain")
    check_upload(upload)
    token, _ = stash_upload(upload, UPLOAD_KIND)
    job = launch("policies.import", owner=city_admin, token=token, filename="办法.txt",
                 meta={"key": "ZZ-JOB", "title": "郑州市城镇老旧小区改造管理办法"})
    assert run_pending() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result_summary["text"] == ("已导入《郑州市城镇老旧小区改造管理办法》：5 条；"
                                          "已脱敏 身份证号 1 处、手机号码 1 处、固定电话 1 处")
    assert PolicyDocument.objects.get(key="ZZ-JOB").articles.count() == 5
    # an empty upload fails with the reason, and nothing is saved
    token, _ = stash_upload(SimpleUploadedFile("空.txt", b""), UPLOAD_KIND)
    job = launch("policies.import", owner=city_admin, token=token, filename="空.txt", meta={"key": "ZZ-EMPTY", "title": "空"})
    run_pending()
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.FAILED, "文件“空.txt”是空文件")
    assert not PolicyDocument.objects.filter(key="ZZ-EMPTY").exists()
    # the shared upload checks refuse a file whose content does not match its extension
    with pytest.raises(ValidationError, match="扩展名是 .pdf"):
        check_upload(SimpleUploadedFile("办法.pdf", LOCAL_TXT.encode("utf-8")))

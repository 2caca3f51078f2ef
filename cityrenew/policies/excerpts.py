"""Excerpt documents (摘录): sources outside the seeds that rules cite, built only from text the project holds.

* ``MOHURD-CHECKUP-2025`` 住房城乡建设部《城市体检工作手册（试行）》(2025年5月), structure ``indicators``: articles
  ``指标1``…``指标60`` with the manual's 【指标解释】【体检方法】【参考标准】 (``catalogue/data/checkup_indicators_zh.csv``,
  verbatim) and, where a spatial rule needs it, the indicator's 【体检依据】; and the parts of 第一章 that rules
  rest on (``第一章三、（一）`` …, the manual restarts 一、 in every chapter), from
  ``catalogue/data/checkup_manual_2025.toml``. Both were transcribed from the OCR of the manual named there.
* ``MOHURD-CHECKUP-2024`` 城市体检基础指标体系（2024年版）, structure ``indicators``: ``指标1``…``指标61``, each the
  list's own row (dimension, group, name, unit) from ``catalogue/data/checkup_indicators.csv``. The 2025 manual
  replaces it.
* ``GB-T-2260`` 中华人民共和国行政区划代码, structure ``table``: one article per code the project holds
  (``core/data/regions_zhengzhou.csv`` rows whose ``code_source`` is GB/T 2260), ``序号<code>``.

:func:`ingest_excerpts` writes them (idempotent); the seed ingest calls it for the manifest's excerpt
documents, so one ``cityrenew policies ingest`` builds the whole library.
"""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO

from django.db import transaction

from cityrenew.catalogue.indicator_texts import read_texts
from cityrenew.catalogue.policies import DOCUMENTS, INDICATOR_CATALOGUE_CSV

CATALOGUE_DATA = Path(__file__).resolve().parent.parent / "catalogue" / "data"
MANUAL_TOML = CATALOGUE_DATA / "checkup_manual_2025.toml"
REGIONS_CSV = Path(__file__).resolve().parent.parent / "core" / "data" / "regions_zhengzhou.csv"

# Chapters of the 2025 manual holding the indicator explanations (its table of contents).
MANUAL_CHAPTERS = [
    (range(1, 10), "第二章", "住房维度体检 五、基础指标说明"),
    (range(10, 22), "第三章", "小区（社区）维度体检 五、基础指标说明"),
    (range(22, 30), "第四章", "街区维度体检 五、基础指标说明"),
    (range(30, 61), "第五章", "城区（城市）维度体检 五、基础指标说明"),
]


@dataclass
class ArticleSpec:  # one article of an excerpt document, before it is written
    ref: str
    label: str
    heading: str
    text: str
    section: tuple[str, str] = ("", "")  # (label, title) of its 章 / dimension
    line_start: int | None = None
    line_end: int | None = None
    items: list[tuple[str, str]] = field(default_factory=list)


def _lines(spec: str) -> tuple[int | None, int | None]:
    if not spec:
        return None, None
    a, _, b = spec.replace("L", "").partition("-")
    return int(a), int(b or a)


def manual_2025_articles(toml_path: Path = MANUAL_TOML) -> list[ArticleSpec]:
    with open(toml_path, "rb") as fh:
        data = tomllib.load(fh)
    out: list[ArticleSpec] = []
    for a in data.get("article", []):
        start, end = _lines(a.get("lines", ""))
        section = a["section"].split(" ", 1)
        out.append(ArticleSpec(a["ref"], a["label"], a["heading"], a["text"].strip(), (section[0], section[1]), start, end))
    basis = {int(b["indicator"]): b["text"].strip() for b in data.get("basis", [])}
    units = {int(r["number"]): r["unit"] for r in _catalogue_rows("2025")}
    for n, t in sorted(read_texts().items()):
        parts = [f"{t.name}（{units[n]}）" if units.get(n) else t.name]
        for title, body in (("指标解释", t.definition), ("体检方法", t.method), ("参考标准", t.standard), ("体检依据", basis.get(n, ""))):
            if body:
                parts += [f"【{title}】", body]
        chapter = next((c, title) for numbers, c, title in MANUAL_CHAPTERS if n in numbers)
        out.append(ArticleSpec(f"指标{n}", f"指标{n}", t.name, "\n".join(parts), chapter))
    return out


def _catalogue_rows(version: str, path: Path = INDICATOR_CATALOGUE_CSV) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["version"] == version]


def list_2024_articles() -> list[ArticleSpec]:
    out = []
    for r in _catalogue_rows("2024"):
        n = int(r["number"])
        unit = f"（{r['unit']}）" if r["unit"] else ""
        out.append(ArticleSpec(f"指标{n}", f"指标{n}", r["name"], f"{r['dimension']} · {r['group']}：{r['name']}{unit}",
                               (r["dimension"], "")))
    return out


def region_code_articles(path: Path = REGIONS_CSV) -> list[ArticleSpec]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("code_source", "").strip() == "GB/T 2260"]
    return [ArticleSpec(f"序号{r['code']}", r["code"], r["name"], f"{r['code']} {r['name']}") for r in rows]


@dataclass(frozen=True)
class Excerpt:  # what the registry does not say about an excerpt document
    build: Callable[[], list[ArticleSpec]]
    level: str
    structure: str
    status: str
    source: str
    note: str
    replaces: str = ""


EXCERPTS: dict[str, Excerpt] = {
    "MOHURD-CHECKUP-2024": Excerpt(
        list_2024_articles, "ministry", "indicators", "replaced",
        "cityrenew/catalogue/data/checkup_indicators.csv（version=2024）",
        "摘录：61项基础指标清单的维度、分组、指标名称和计量单位，取自 Attuite/smart-renew "
        "assets/data/city-health-standard-library-v1.js @d1fd2d1（城市体检标准库 v1.0.0）；年份为推定，可能为2023年试行清单。"
        "已被《城市体检工作手册（试行）》（2025年5月）的60项基础指标替代。",
    ),
    "MOHURD-CHECKUP-2025": Excerpt(
        manual_2025_articles, "ministry", "indicators", "trial",
        "cityrenew/catalogue/data/checkup_indicators_zh.csv；cityrenew/catalogue/data/checkup_manual_2025.toml",
        "摘录：五、基础指标说明中60项指标的【指标解释】【体检方法】【参考标准】（部分指标另收【体检依据】），"
        "以及第一章三、体检步骤中规则所依据的段落。转录自 QRui6/urban-inspection-rag "
        "data/raw/20250526城市体检工作手册.md @92616ed（住房城乡建设部建筑节能与科技司2025年5月印发的手册的OCR文本），"
        "表格改写为文字，未增删措辞。附件一至附件六未收录。",
        replaces="MOHURD-CHECKUP-2024",
    ),
    "GB-T-2260": Excerpt(
        region_code_articles, "standard", "table", "in_force",
        "cityrenew/core/data/regions_zhengzhou.csv（code_source=GB/T 2260）",
        "摘录：本平台使用的河南省、郑州市及其县级区划的代码与名称。街道、社区不在本标准内，使用本地编码。",
    ),
}


def _date(text: str) -> dt.date | None:
    parts = [int(p) for p in text.split("-") if p.isdigit()]
    if len(parts) == 3:
        return dt.date(*parts)
    if len(parts) == 2:
        return dt.date(parts[0], parts[1], 1)
    return None


@transaction.atomic
def write_excerpt(key: str, order: int = 0) -> Any:
    """(Re)build one excerpt document and its sections and articles; returns the PolicyDocument."""
    from .models import Article, PolicyDocument, Section

    reg, ex = DOCUMENTS[key], EXCERPTS[key]
    specs = ex.build()
    values = dict(
        title=reg.title, number=reg.number, issuer=reg.issuer, level=ex.level, region="全国", structure=ex.structure,
        issued=_date(reg.date), status=ex.status, excerpt=True, note=ex.note, source=ex.source, url=reg.url,
    )
    if ex.replaces:
        values["replaces"] = PolicyDocument.objects.filter(key=ex.replaces).first()
    doc = PolicyDocument.objects.filter(key=key).first()
    if doc is None:
        doc = PolicyDocument(key=key, order=order, **values)
        doc.save()
    else:
        changed = False
        for k, v in values.items():
            if getattr(doc, k) != v:
                setattr(doc, k, v)
                changed = True
        if changed:
            doc.save()
    doc.articles.all().delete()
    doc.sections.all().delete()
    sections: dict[tuple[str, str], Section] = {}
    for s in specs:
        if s.section[0] and s.section not in sections:
            sections[s.section] = Section.objects.create(document=doc, label=s.section[0], title=s.section[1], order=len(sections) + 1)
    try:
        from .search import segment  # p-search: segmented text for the index
    except ImportError:
        segment = None
    articles = [
        Article(document=doc, section=sections.get(s.section), ref=s.ref, label=s.label, heading=s.heading, text=s.text,
                number=i, line_start=s.line_start, line_end=s.line_end, tokens=segment(f"{s.heading} {s.text}") if segment else "")
        for i, s in enumerate(specs, start=1)
    ]
    Article.objects.bulk_create(articles)
    return doc


def ingest_excerpts(stdout: TextIO | None = None, order_from: int = 1000) -> dict[str, int]:
    """(Re)build every excerpt document (the list before the manual that replaces it); key → article count."""
    from cityrenew.core.audit import actor

    from .models import Article

    counts: dict[str, int] = {}
    with actor(None, source="system", note="政策库：摘录文件"):
        for i, key in enumerate(EXCERPTS):
            doc = write_excerpt(key, order=order_from + i)
            counts[key] = Article.objects.filter(document=doc).count()
            if stdout is not None:
                stdout.write(f"{doc}：{counts[key]} 条（摘录）\n")
    from .citations import clear_cache

    clear_cache()
    return counts

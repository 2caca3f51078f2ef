"""Excerpt documents (摘录): sources outside the seeds that rules cite, built only from text the project holds.

* ``MOHURD-CHECKUP-2025`` 住房城乡建设部《城市体检工作手册（试行）》(2025年5月), structure ``indicators``: articles
  ``指标1``…``指标60`` with the manual's 【指标解释】【体检方法】【参考标准】 (``catalogue/data/checkup_indicators_zh.csv``,
  verbatim) and, where a spatial rule needs it, the indicator's 【体检依据】; the parts of 第一章 that rules
  rest on (``第一章三、（一）`` …, the manual restarts 一、 in every chapter) and the header rows of the sample
  lists of 附件四 and 附件五 (``附件四``), from
  ``catalogue/data/checkup_manual_2025.toml``. Both were transcribed from the OCR of the manual named there.
* ``MOHURD-CHECKUP-2024`` 城市体检基础指标体系（2024年版）, structure ``indicators``: ``指标1``…``指标61``, each the
  list's own row (dimension, group, name, unit) from ``catalogue/data/checkup_indicators.csv``. The 2025 manual
  replaces it.
* ``SPC-2009-7`` 最高人民法院关于审理建筑物区分所有权纠纷案件适用法律若干问题的解释 (第八条、第九条) and the
  ``CIVIL-CODE-2020`` 民法典 article 第二百七十八条, structure ``articles``: statutory text in TOML files
  (``catalogue/data/spc_2009_7.toml``, ``catalogue/data/civil_code_2020.toml``) read by :func:`toml_articles`.
* ``GB-T-2260`` 中华人民共和国行政区划代码, structure ``table``: one article per code the project holds
  (``core/data/regions_zhengzhou.csv`` rows whose ``code_source`` is GB/T 2260), ``序号<code>``.

:func:`parse` turns one of them into a :class:`~cityrenew.policies.parser.ParsedDocument`; the ingest
(:mod:`cityrenew.policies.ingest`) calls it for every manifest document with ``articles_csv`` and writes it
like a seed document, so one ``cityrenew policies ingest`` builds the whole library. Their metadata
(status, 替代关系, the provenance note) is in the manifest, ``catalogue/data/policy_documents.toml``.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cityrenew.catalogue.indicator_texts import read_texts
from cityrenew.catalogue.policies import INDICATOR_CATALOGUE_CSV

from .parser import (
    ParsedArticle,
    ParsedDocument,
    ParsedItem,
    ParsedSection,
    StructureError,
)

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
    annexes: list[ArticleSpec] = []  # 附件 come after the indicator explanations, as in the manual
    for a in data.get("article", []):
        start, end = _lines(a.get("lines", ""))
        label, _, title = a["section"].partition(" ")
        spec = ArticleSpec(a["ref"], a["label"], a["heading"], a["text"].strip(), (label, title), start, end)
        (annexes if a["ref"].startswith("附件") else out).append(spec)
    basis = {int(b["indicator"]): b["text"].strip() for b in data.get("basis", [])}
    units = {int(r["number"]): r["unit"] for r in _catalogue_rows("2025")}
    for n, t in sorted(read_texts().items()):
        parts = [f"{t.name}（{units[n]}）" if units.get(n) else t.name]
        for title, body in (("指标解释", t.definition), ("体检方法", t.method), ("参考标准", t.standard), ("体检依据", basis.get(n, ""))):
            if body:
                parts += [f"【{title}】", body]
        chapter = next((c, title) for numbers, c, title in MANUAL_CHAPTERS if n in numbers)
        out.append(ArticleSpec(f"指标{n}", f"指标{n}", t.name, "\n".join(parts), chapter))
    return out + annexes


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


def toml_articles(path: Path) -> list[ArticleSpec]:
    """Articles of statutory text kept in a TOML file: ``[[article]]`` with ref, label, heading, text (section)."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    out = []
    for a in data.get("article", []):
        label, _, title = a.get("section", "").partition(" ")
        out.append(ArticleSpec(a["ref"], a.get("label", a["ref"]), a.get("heading", ""), a["text"].strip(), (label, title)))
    return out


CIVIL_CODE_TOML = CATALOGUE_DATA / "civil_code_2020.toml"


BUILDERS: dict[str, Callable[[], list[ArticleSpec]]] = {
    "MOHURD-CHECKUP-2025": manual_2025_articles,
    "MOHURD-CHECKUP-2024": list_2024_articles,
    "GB-T-2260": region_code_articles,
    "CIVIL-CODE-2020": lambda: toml_articles(CIVIL_CODE_TOML),
    "SPC-2009-7": lambda: toml_articles(CATALOGUE_DATA / "spc_2009_7.toml"),
}


def parse(spec: Any) -> ParsedDocument:
    """The articles of the excerpt document ``spec`` (a manifest entry) from the data the project holds."""
    build = BUILDERS.get(spec.key)
    if build is None:
        raise StructureError(f"文件 {spec.key} 不在本平台持有原文的摘录文件之列（{'、'.join(BUILDERS)}）")
    out = ParsedDocument(spec.structure or "indicators")
    index: dict[tuple[str, str], int] = {}
    for a in build():
        section = None
        if a.section[0]:
            if a.section not in index:
                index[a.section] = len(out.sections)
                out.sections.append(ParsedSection(a.section[0], a.section[1]))
            section = index[a.section]
        out.articles.append(ParsedArticle(a.ref, a.label, a.heading, a.text, a.line_start, a.line_end, section,
                                          [ParsedItem(label, text) for label, text in a.items]))
    return out

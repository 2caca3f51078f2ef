"""Policy documents (政策文件) that rules, thresholds and catalogues in CityRenew cite.

Every rule in the system carries a :class:`Citation`: the document (by key below), the article it
comes from as a canonical article ref (``四、（二）``, ``第十二条``, ``指标13``: the convention of
:mod:`cityrenew.policies.models`, checked by :func:`cite` at import time), optionally an item (``2.``),
and the rule it is the basis of. :mod:`cityrenew.policies.citations` resolves a citation to its
:class:`~cityrenew.policies.models.Article` and lists, per article, what cites it. The web UI shows the citation next to
the rule (template tag ``{% cite %}`` in :mod:`cityrenew.core.templatetags.cityrenew`); ``/policies/``
lists the documents with, per article, the rules that cite it (:func:`rules_by_document`).

The documents and their metadata are data: ``data/policy_documents.toml`` (the manifest), read here
into :data:`DOCUMENTS` and by :mod:`cityrenew.policies.ingest`, which builds the policy library's
articles from the seed lines. ``seed`` and ``lines`` point into the policy texts shipped in
``cityrenew/policies/data/seeds`` (copies of ``shared/seeds``).
"""

from __future__ import annotations

import csv
import re
import sys
import tomllib
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PolicyDocument:  # 政策文件
    key: str
    title: str
    number: str = ""  # 文号, e.g. 国办发〔2020〕23号
    issuer: str = ""
    date: str = ""  # ISO date of issue (may be just a year or year-month when the text gives no more)
    seed: str = ""  # file in cityrenew/policies/data/seeds (a copy of shared/seeds)
    lines: str = ""  # line range in that file, "L4-L303"
    url: str = ""
    # from the manifest (data/policy_documents.toml); see the comment at its top
    level: str = ""
    region: str = ""
    structure: str = ""
    effective: str = ""
    expires: str = ""
    status: str = "in_force"
    replaces: str = ""
    excerpt: bool = False
    note: str = ""
    order: int = 0
    body: int = 0
    tail: int = 0
    drop: tuple[int, ...] = ()
    fixes: tuple[tuple[str, str], ...] = ()
    line_paragraphs: bool = False
    joins: tuple[int, ...] = ()
    row_headings: tuple[tuple[int, str], ...] = ()
    prose_cells: bool = False
    articles_csv: str = ""

    @property
    def year(self) -> str:  # 年份 (from the date of issue)
        return self.date[:4]

    @property
    def line_range(self) -> tuple[int, int] | None:
        """(first, last) seed line of the document, or None for a document outside the seeds."""
        m = re.fullmatch(r"L(\d+)-L(\d+)", self.lines)
        return (int(m.group(1)), int(m.group(2))) if m else None


# --- article references (the convention of cityrenew/policies/models.py) -----------------------------
_CN = "[一二三四五六七八九十百千零〇]+"
ARTICLE_REF_RE = re.compile(
    "^(?:"
    rf"第{_CN}条(?:之{_CN})?"  # 条文式: 第十二条
    rf"|(?:第{_CN}章)?{_CN}、(?:（{_CN}）)?"  # 提纲式: 四、 / 二、（三）; 第一章三、（五） where chapters restart 一、
    rf"|（{_CN}）"  # （三） in a document without 一、 sections
    r"|序号\d+|指标\d+|第\d+段"  # 表格 / 指标 / 段落
    "|序言|结语|表头|合计"  # text before the first / after the last numbered part; a table's header and total rows
    rf"|附件{_CN}"  # an annex cited as a whole (the check-up manual's sample lists)
    r")(?:之\d+)?$"  # a number the source repeats: 二、（三）之2
)
ITEM_RE = re.compile(r"^(?:\d+[.．、]|（\d+）|\d+）|[①-⑳])$")  # 1. / （1） / 1） / ①


def check_ref(ref: str) -> str:
    """The reason ``ref`` is not a well-formed article reference, or "" when it is."""
    if not ref:
        return "未指明条款"
    if not ARTICLE_REF_RE.match(ref):
        return f"条款“{ref}”不符合条款编号规则（第十二条、二、（三）、四、、（三）、序号N、指标N、第N段、序言、结语、表头、合计、附件N）"
    return ""


@dataclass(frozen=True)
class Citation:  # 政策依据
    document: str  # key of a PolicyDocument
    article: str = ""  # canonical article ref (cityrenew/policies/models.py), e.g. 四、（二） / 第十二条 / 指标13
    note: str = ""
    extra: tuple[str, ...] = field(default_factory=tuple)
    rule: str = ""  # the rule, threshold or catalogue this article is the basis of (依据此条款的规则)
    item: str = ""  # an item (项) inside the article, as printed: "2." / "（1）"
    through: str = ""  # last article of a run of articles cited together (二、（一） through 二、（八）)
    origin: str = field(default="", compare=False)  # module that defines the citation (filled by cite())

    @property
    def doc(self) -> PolicyDocument:
        return DOCUMENTS[self.document]

    @property
    def where(self) -> str:  # 条款 as shown: 四、（二）2. / 二、（一）至二、（八）
        if self.through:
            return f"{self.article}至{self.through}"
        return f"{self.article}{self.item}"

    @classmethod
    def from_text(cls, document: str, text: str, **kwargs: object) -> "Citation":
        """The citation a stored 依据条款 names: ``四、（二）`` or a run ``指标1至指标61`` (as :attr:`where` shows it)."""
        first, sep, last = text.strip().partition("至")
        return cls(document, first, through=last if sep else "", **kwargs)  # type: ignore[arg-type]

    def problems(self) -> list[str]:
        """Why this citation cannot name an article, in Chinese; [] when its shape is right."""
        if self.document not in DOCUMENTS:
            return [f"未登记的政策文件：{self.document}"]
        out = [p for p in (check_ref(self.article), check_ref(self.through) if self.through else "") if p]
        if self.item and not ITEM_RE.match(self.item):
            out.append(f"项“{self.item}”不符合项编号规则（1. / （1） / 1）/ ①）")
        if self.item and self.through:
            out.append("引用多条条款时不能指明项")
        return out

    def __str__(self) -> str:
        doc = self.doc
        head = f"《{doc.title}》"
        if doc.number:
            head += f"（{doc.number}）"
        return f"{head}{self.where}" if self.article else head


MANIFEST = Path(__file__).resolve().parent / "data" / "policy_documents.toml"


def load_manifest(path: Path = MANIFEST) -> tuple[list[PolicyDocument], dict[str, Any]]:
    """The documents of the manifest, in its order, and its ``[cleaning]`` table."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    docs = []
    known = {f.name for f in fields(PolicyDocument)} | {"issued"}
    for order, raw in enumerate(data.get("document", []), start=1):
        raw = dict(raw)
        unknown = sorted(set(raw) - known)
        if unknown or not raw.get("key") or not raw.get("title"):
            what = f"未知字段 {'、'.join(unknown)}" if unknown else "缺少 key 或 title"
            raise ValueError(f"{path.name} 第 {order} 个文件（{raw.get('key', '')}）：{what}")
        if any(d.key == raw["key"] for d in docs):
            raise ValueError(f"{path.name}：编码 {raw['key']} 重复")
        raw["date"] = str(raw.pop("issued", ""))
        for name in ("effective", "expires"):
            raw[name] = str(raw.get(name, ""))
        raw["drop"] = tuple(raw.get("drop", ()))
        raw["joins"] = tuple(raw.get("joins", ()))
        raw["fixes"] = tuple((str(a), str(b)) for a, b in raw.get("fixes", ()))
        raw["row_headings"] = tuple(sorted((int(k), v) for k, v in raw.get("row_headings", {}).items()))
        raw.setdefault("order", order)
        docs.append(PolicyDocument(**raw))
    return docs, dict(data.get("cleaning", {}))


_DOCS, CLEANING = load_manifest()

DOCUMENTS: dict[str, PolicyDocument] = {d.key: d for d in _DOCS}


# Every citation built with cite() at import time, in order: what /policies/ lists under each article.
_CITED: list[Citation] = []


class CitationError(ValueError):
    """A citation that cannot name an article (message in Chinese: rule, document and ref)."""


def cite(document: str, article: str = "", note: str = "", *, rule: str = "", item: str = "", through: str = "") -> Citation:
    """Build a citation of an article, failing at import time on an unknown document key or a malformed ref.

    ``article`` is the canonical article ref (``四、（二）``, ``第十二条``, ``指标13``), ``item`` an item inside
    it (``2.``), ``through`` the last article of a run cited together. A named ``rule`` is registered: the
    policy pages list it under its article and ``cityrenew policies check-citations`` checks it resolves.
    """
    origin = sys._getframe(1).f_globals.get("__name__", "")
    c = Citation(document, article, note, rule=rule, item=item, through=through, origin=origin)
    problems = c.problems()
    if problems:
        raise CitationError(f"规则“{rule or note or origin}”引用《{document}》{c.where}：{'；'.join(problems)}")
    if rule and c not in _CITED:
        _CITED.append(c)
    return c


def registered_citations() -> list[Citation]:
    """Every named rule registered through :func:`cite` so far (import the rule modules first)."""
    return list(_CITED)


INDICATOR_CATALOGUE_CSV = Path(__file__).resolve().parent / "data" / "checkup_indicators.csv"
INDICATOR_DOCUMENTS = {"2025": "MOHURD-CHECKUP-2025", "2024": "MOHURD-CHECKUP-2024"}


def indicator_citations(path: Path = INDICATOR_CATALOGUE_CSV) -> list[Citation]:
    """Each check-up indicator as a rule citing its article (指标N) of the manual it comes from."""
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            doc = INDICATOR_DOCUMENTS.get(row["version"])
            if doc:
                out.append(Citation(doc, f"指标{row['number']}", rule=f"体检指标 {row['number']}. {row['name']}",
                                    origin=f"{path.name}（{row['version']}年）"))
    return out


@dataclass(frozen=True)
class ArticleRules:  # 条款及依据它的规则
    article: str
    rules: tuple[Citation, ...]


def rules_by_document(citations: list[Citation] | None = None) -> "OrderedDict[str, list[ArticleRules]]":
    """Per document key (in registry order): its cited articles, each with the rules citing it.

    By default: every named rule registered through :func:`cite` (modules that define rules must
    have been imported) plus every check-up indicator of the packaged catalogue.
    """
    if citations is None:
        citations = list(_CITED) + indicator_citations()
    grouped: dict[str, dict[str, list[Citation]]] = {}
    for c in citations:
        grouped.setdefault(c.document, {}).setdefault(c.where, []).append(c)
    out: OrderedDict[str, list[ArticleRules]] = OrderedDict()
    for key in DOCUMENTS:
        if key in grouped:
            out[key] = [ArticleRules(a, tuple(rs)) for a, rs in grouped[key].items()]
    return out

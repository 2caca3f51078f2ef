"""Policy documents (政策文件) that rules, thresholds and catalogues in CityRenew cite.

Every rule in the system carries a :class:`Citation`: the document (by key below), the article it
comes from as a canonical article ref (``四、（二）``, ``第十二条``, ``指标13``: the convention of
:mod:`cityrenew.policies.models`, checked by :func:`cite` at import time), optionally an item (``2.``),
and the rule it is the basis of. :mod:`cityrenew.policies.citations` resolves a citation to its
:class:`~cityrenew.policies.models.Article` and lists, per article, what cites it. The web UI shows the citation next to
the rule (template tag ``{% cite %}`` in :mod:`cityrenew.core.templatetags.cityrenew`); ``/policies/``
lists the documents with, per article, the rules that cite it (:func:`rules_by_document`).

``seed`` and ``lines`` point into the policy texts kept with the project brief (``shared/seeds``),
so a reviewer can open the exact lines; they are for developers and are never shown to users.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class PolicyDocument:  # 政策文件
    key: str
    title: str
    number: str = ""  # 文号, e.g. 国办发〔2020〕23号
    issuer: str = ""
    date: str = ""  # ISO date of issue
    seed: str = ""  # file in shared/seeds
    lines: str = ""  # line range in that file
    url: str = ""

    @property
    def year(self) -> str:  # 年份 (from the date of issue)
        return self.date[:4]


# --- article references (the convention of cityrenew/policies/models.py) -----------------------------
_CN = "[一二三四五六七八九十百千零〇]+"
ARTICLE_REF_RE = re.compile(
    "^(?:"
    rf"第{_CN}条(?:之{_CN})?"  # 条文式: 第十二条
    rf"|(?:第{_CN}章)?{_CN}、(?:（{_CN}）)?"  # 提纲式: 四、 / 二、（三）; 第一章三、（五） where chapters restart 一、
    rf"|（{_CN}）"  # （三） in a document without 一、 sections
    r"|序号\d+|指标\d+|第\d+段"  # 表格 / 指标 / 段落
    ")$"
)
ITEM_RE = re.compile(r"^(?:\d+[.．、]|（\d+）|\d+）|[①-⑳])$")  # 1. / （1） / 1） / ①


def check_ref(ref: str) -> str:
    """The reason ``ref`` is not a well-formed article reference, or "" when it is."""
    if not ref:
        return "未指明条款"
    if not ARTICLE_REF_RE.match(ref):
        return f"条款“{ref}”不符合条款编号规则（第十二条、二、（三）、四、、（三）、序号N、指标N、第N段）"
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


_DOCS = [
    PolicyDocument(
        "CPC-2025-URBAN-RENEWAL",
        "关于持续推进城市更新行动的意见",
        "",
        "中共中央办公厅、国务院办公厅",
        "2025-05-02",
        "003_645a1165802b4a67.txt",
        "L4-L303",
    ),
    PolicyDocument(
        "MOF-2025-11",
        "关于开展2025年度中央财政支持实施城市更新行动的通知",
        "财办建〔2025〕11号",
        "财政部办公厅、住房城乡建设部办公厅",
        "2025-04-03",
        "003_645a1165802b4a67.txt",
        "L304-L518",
    ),
    PolicyDocument(
        "GF-2024-17",
        "深入实施以人为本的新型城镇化战略五年行动计划",
        "国发〔2024〕17号",
        "国务院",
        "2024-07-28",
        "003_645a1165802b4a67.txt",
        "L519-L1062",
    ),
    PolicyDocument(
        "GF-2024-7",
        "推动大规模设备更新和消费品以旧换新行动方案",
        "国发〔2024〕7号",
        "国务院",
        "2024-03-07",
        "003_645a1165802b4a67.txt",
        "L1063-L1412",
    ),
    PolicyDocument(
        "GBF-2020-23",
        "关于全面推进城镇老旧小区改造工作的指导意见",
        "国办发〔2020〕23号",
        "国务院办公厅",
        "2020-07-10",
        "003_645a1165802b4a67.txt",
        "L1413-L1768",
    ),
    PolicyDocument(
        "JK-2023-30",
        "关于扎实有序推进城市更新工作的通知",
        "建科〔2023〕30号",
        "住房和城乡建设部",
        "2023-07-05",
        "003_645a1165802b4a67.txt",
        "L1769-L1888",
    ),
    PolicyDocument(
        "MNR-2024-25",
        "关于进一步加强规划土地政策支持老旧小区改造更新工作的通知",
        "自然资办发〔2024〕25号",
        "自然资源部办公厅",
        "2024-05-24",
        "003_645a1165802b4a67.txt",
        "L1889-L1999",
    ),
    PolicyDocument(
        "BJ-2024-JOINT-REVIEW",
        "北京市城市更新实施方案联合审查管理办法（试行）",
        "",
        "北京市住房和城乡建设委员会等五部门",
        "2024-11-26",
        "003_645a1165802b4a67.txt",
        "L2000-L2240",
    ),
    PolicyDocument(
        "HN-EQUIPMENT-CATALOGUE",
        "河南省建筑和市政基础设施领域设备更新改造强制性更新和鼓励性更新标准目录",
        "",
        "河南省住房和城乡建设厅",
        "",
        "003_645a1165802b4a67.txt",
        "L7228-L7479",
    ),
    PolicyDocument(
        "ZZ-PROJECT-LIBRARY",
        "郑州市城市更新项目库",
        "",
        "郑州市城乡建设局",
        "",
        "003_645a1165802b4a67.txt",
        "L7480-L8443",
    ),
    PolicyDocument(
        "ZZJW-2025-45",
        "郑州市城乡建设局关于调整城市更新项目库的通知",
        "郑建文〔2025〕45号",
        "郑州市城乡建设局",
        "2025",
        "003_645a1165802b4a67.txt",
        "L8444-L8512",
        "https://zzjsj.zhengzhou.gov.cn/csgx/9246874.jhtml",
    ),
    PolicyDocument(
        "CPC-2025-HQ-URBAN",
        "关于推动城市高质量发展的意见",
        "",
        "中共中央、国务院",
        "2025-08-15",
        "002_0974e2829616dbc9.txt",
        "L1-L148",
    ),
    PolicyDocument(
        "MOHURD-CHECKUP-2025",
        "城市体检工作手册（试行）",
        "",
        "住房和城乡建设部",
        "2025-05",
        "",
        "",
    ),
    PolicyDocument(
        "MOHURD-CHECKUP-2024",
        "城市体检基础指标体系（2024年版）",
        "",
        "住房和城乡建设部",
        "2024",
        "",
        "",
    ),
    PolicyDocument(
        "GB50180-2018",
        "城市居住区规划设计标准",
        "GB 50180-2018",
        "住房和城乡建设部",
        "2018-07-10",
    ),
    PolicyDocument(
        "GB-T-2260",
        "中华人民共和国行政区划代码",
        "GB/T 2260",
        "国家市场监督管理总局、民政部",
    ),
]

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

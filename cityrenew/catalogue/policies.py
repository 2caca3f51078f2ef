"""Policy documents (政策文件) that rules, thresholds and catalogues in CityRenew cite.

Every rule in the system carries a :class:`Citation`: the document (by key below), the article,
clause or table it comes from, and the rule it is the basis of. The web UI shows the citation next to
the rule (template tag ``{% cite %}`` in :mod:`cityrenew.core.templatetags.cityrenew`); ``/policies/``
lists the documents with, per article, the rules that cite it (:func:`rules_by_document`).

``seed`` and ``lines`` point into the policy texts kept with the project brief (``shared/seeds``),
so a reviewer can open the exact lines; they are for developers and are never shown to users.
"""

from __future__ import annotations

import csv
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


@dataclass(frozen=True)
class Citation:  # 政策依据
    document: str  # key of a PolicyDocument
    article: str = ""  # 条款 / 表 / 附件
    note: str = ""
    extra: tuple[str, ...] = field(default_factory=tuple)
    rule: str = ""  # the rule, threshold or catalogue this article is the basis of (依据此条款的规则)

    @property
    def doc(self) -> PolicyDocument:
        return DOCUMENTS[self.document]

    def __str__(self) -> str:
        doc = self.doc
        head = f"《{doc.title}》"
        if doc.number:
            head += f"（{doc.number}）"
        return f"{head}{self.article}" if self.article else head


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


def cite(document: str, article: str = "", note: str = "", *, rule: str = "") -> Citation:
    """Build a citation, failing loudly on an unknown document key; a named ``rule`` is registered."""
    if document not in DOCUMENTS:
        raise KeyError(f"未登记的政策文件：{document}")
    c = Citation(document, article, note, rule=rule)
    if rule and c not in _CITED:
        _CITED.append(c)
    return c


INDICATOR_CATALOGUE_CSV = Path(__file__).resolve().parent / "data" / "checkup_indicators.csv"
INDICATOR_DOCUMENTS = {"2025": "MOHURD-CHECKUP-2025", "2024": "MOHURD-CHECKUP-2024"}


def indicator_citations(path: Path = INDICATOR_CATALOGUE_CSV) -> list[Citation]:
    """Each check-up indicator as a rule citing its article (指标N) of the manual it comes from."""
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            doc = INDICATOR_DOCUMENTS.get(row["version"])
            if doc:
                out.append(Citation(doc, f"指标{row['number']}", rule=f"体检指标 {row['number']}. {row['name']}"))
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
        grouped.setdefault(c.document, {}).setdefault(c.article, []).append(c)
    out: OrderedDict[str, list[ArticleRules]] = OrderedDict()
    for key in DOCUMENTS:
        if key in grouped:
            out[key] = [ArticleRules(a, tuple(rs)) for a, rs in grouped[key].items()]
    return out

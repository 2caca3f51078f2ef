"""The joint-review matrix (联合审查矩阵): which department reviews which matters of an implementation plan.

The packaged matrix (``data/review_matrix.toml``) transcribes 《北京市城市更新实施方案联合审查管理办法（试行）》
第十二条（一）至（八）; each item cites that article, the clause and the article's own words. A city may
configure its own matrix in the same format (:class:`~cityrenew.review.models.ReviewSettings`);
:func:`parse_matrix` validates either and raises :class:`MatrixError` with a Chinese message naming the
entry and field. No Django import: the loader is plain Python over ``tomllib``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from cityrenew.catalogue.policies import DOCUMENTS, Citation, CitationError, cite

PACKAGED = Path(__file__).resolve().parent / "data" / "review_matrix.toml"
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
CLAUSE_RE = re.compile(r"^(（[一二三四五六七八九十]+）)?$")


class MatrixError(ValueError):
    """A matrix file that cannot be used (message in Chinese: which entry, which field, why)."""


@dataclass(frozen=True)
class Department:  # 审查部门
    key: str
    name: str


@dataclass(frozen=True)
class Item:  # 审查事项（一个部门审查的一组内容）
    key: str
    department: Department
    title: str
    points: tuple[str, ...]
    citation: Citation
    clause: str  # （三）: the clause of the article, as printed
    quote: str  # the article's own words
    condition: str  # "" = every plan; else the article's "涉及……的"

    @property
    def where(self) -> str:  # 第十二条（三）
        return f"{self.citation.article}{self.clause}"

    @property
    def basis(self) -> str:  # 《…》第十二条（三）
        return f"《{self.citation.doc.title}》{self.where}"


@dataclass(frozen=True)
class Matrix:  # 联合审查矩阵
    version: str
    title: str
    departments: tuple[Department, ...]
    items: tuple[Item, ...]
    source: str = "packaged"  # packaged | city

    def department(self, key: str) -> Department | None:
        return next((d for d in self.departments if d.key == key), None)

    def item(self, key: str) -> Item | None:
        return next((i for i in self.items if i.key == key), None)

    @property
    def always(self) -> tuple[Item, ...]:
        """Items every plan is reviewed on (no condition)."""
        return tuple(i for i in self.items if not i.condition)

    @property
    def conditional(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.condition)


def _text(entry: dict, field: str, where: str, *, required: bool = True, limit: int = 300) -> str:
    value = entry.get(field, "")
    if not isinstance(value, str):
        raise MatrixError(f"{where}「{field}」应为文字")
    value = value.strip()
    if required and not value:
        raise MatrixError(f"{where}缺少「{field}」")
    if len(value) > limit:
        raise MatrixError(f"{where}「{field}」超过{limit}字")
    return value


def parse_matrix(text: str, *, source: str = "city", register: bool = False) -> Matrix:
    """Read and validate a matrix in TOML; ``register`` names each item as a rule on the policy pages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MatrixError(f"审查矩阵不是有效的 TOML：{exc}") from exc
    version = _text(data, "version", "审查矩阵", limit=64)
    title = _text(data, "title", "审查矩阵", limit=200)
    raw_departments = data.get("department", [])
    raw_items = data.get("item", [])
    if not isinstance(raw_departments, list) or not raw_departments:
        raise MatrixError("审查矩阵没有任何部门（[[department]]）")
    if not isinstance(raw_items, list) or not raw_items:
        raise MatrixError("审查矩阵没有任何审查事项（[[item]]）")
    departments: dict[str, Department] = {}
    for n, raw in enumerate(raw_departments, start=1):
        where = f"第 {n} 个部门"
        key = _text(raw, "key", where, limit=48)
        if not KEY_RE.match(key):
            raise MatrixError(f"{where}「key」“{key}”只能用小写字母、数字和下划线，以字母开头")
        if key in departments:
            raise MatrixError(f"{where}「key」“{key}”重复")
        departments[key] = Department(key, _text(raw, "name", where, limit=100))
    items: list[Item] = []
    used: set[str] = set()
    for n, raw in enumerate(raw_items, start=1):
        where = f"第 {n} 个审查事项"
        key = _text(raw, "key", where, limit=48)
        if not KEY_RE.match(key):
            raise MatrixError(f"{where}「key」“{key}”只能用小写字母、数字和下划线，以字母开头")
        if key in used:
            raise MatrixError(f"{where}「key」“{key}”重复")
        used.add(key)
        where = f"审查事项“{key}”"
        dept_key = _text(raw, "department", where, limit=48)
        if dept_key not in departments:
            raise MatrixError(f"{where}的部门“{dept_key}”未在 [[department]] 中列出")
        points = raw.get("points", [])
        if not isinstance(points, list) or not points or not all(isinstance(p, str) and p.strip() for p in points):
            raise MatrixError(f"{where}「points」应为非空的审查内容列表")
        document = _text(raw, "document", where, limit=64)
        if document not in DOCUMENTS:
            raise MatrixError(f"{where}引用的政策文件“{document}”未登记（须在政策库中登记后才能引用）")
        article = _text(raw, "article", where, limit=32)
        clause = _text(raw, "clause", where, required=False, limit=8)
        if not CLAUSE_RE.match(clause):
            raise MatrixError(f"{where}「clause」“{clause}”应为（一）这样的款项编号")
        quote = _text(raw, "quote", where, limit=500)
        title_text = _text(raw, "title", where, limit=100)
        department = departments[dept_key]
        try:
            citation = cite(document, article, quote,
                            rule=f"联合审查事项：{department.name}·{title_text}" if register else "")
        except CitationError as exc:
            raise MatrixError(f"{where}的依据不正确：{exc}") from exc
        items.append(Item(key, department, title_text, tuple(p.strip() for p in points), citation, clause, quote,
                          _text(raw, "condition", where, required=False, limit=200)))
    reviewed = {i.department.key for i in items}
    idle = [d.name for d in departments.values() if d.key not in reviewed]
    if idle:
        raise MatrixError(f"部门{'、'.join(idle)}没有任何审查事项")
    return Matrix(version, title, tuple(departments.values()), tuple(items), source)


def packaged_matrix() -> Matrix:
    """The matrix shipped with the platform (第十二条 of the Beijing 办法)."""
    return PACKAGED_MATRIX


PACKAGED_TEXT = PACKAGED.read_text(encoding="utf-8")
PACKAGED_MATRIX = parse_matrix(PACKAGED_TEXT, source="packaged", register=True)

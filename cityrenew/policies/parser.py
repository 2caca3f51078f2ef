"""The structure parser (结构解析): cleaned lines → sections, articles and items.

One parser for the five kinds of text (:class:`cityrenew.policies.models.Structure`):

* 条文式 ``articles``: 第X章 / 第X节 are sections, 第X条 articles; （一） 1. （1） inside an article are items.
* 提纲式 ``outline``: 一、 are sections, （一） articles (ref ``二、（三）``, or ``（三）`` when the document
  has no 一、); a section's own text — all of it when it has no （N）, its lead paragraphs before the
  first （N） otherwise — is the article ``二、``; 1. and （1） are items of the article they are in.
* ``table``: one article per row, ``序号N`` (rows are numbered 1, 2, 3 … in print; a number is taken
  as a new row only when it is the next one); the header before the first row is ``表头``, a closing
  ``合计`` row is ``合计``; banner rows such as ``市内五区（总投资 4748.34亿元）`` are sections.
* ``paragraphs`` (news, commentary): one article per paragraph, ``第N段``.
* Text between the title and the first numbered part (the preamble) is the article ``序言``; a closing
  paragraph of a 提纲式 document after its last numbered part (``本方案自印发之日起施行…``) is ``结语``.

References are unique per document. When the source repeats a number (an OCR slip or a drafting
error), the second article gets the suffix ``之2`` (``二、（三）之2``), the third ``之3``; the
label keeps what is printed. A number is taken as numbering only in sequence (1, the next one, one
skipped, or a repeat), so a line that merely begins with ``2.`` inside a sentence is text.

Every article carries the first and last source line it was built from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .text import (
    Line,
    Marker,
    apply_fixes,
    canonical_label,
    despace,
    ends_paragraph,
    int_to_cn,
    is_wide,
    marker,
    typical_width,
)

PREAMBLE = "序言"
TABLE_HEADER = "表头"
TABLE_TOTAL = "合计"
CLOSING = "结语"
HEADING_MAX = 40  # characters: a longer lead sentence is text, not a heading


class StructureError(ValueError):
    """The text does not have the structure asked for (Chinese message)."""


@dataclass
class ParsedItem:  # 项
    label: str
    text: str


@dataclass
class ParsedSection:  # 章 / 一、
    label: str
    title: str = ""


@dataclass
class ParsedArticle:  # 条
    ref: str
    label: str
    heading: str = ""
    text: str = ""
    line_start: int | None = None
    line_end: int | None = None
    section: int | None = None  # index into ParsedDocument.sections
    items: list[ParsedItem] = field(default_factory=list)


@dataclass
class ParsedDocument:
    structure: str
    sections: list[ParsedSection] = field(default_factory=list)
    articles: list[ParsedArticle] = field(default_factory=list)

    def article(self, ref: str) -> ParsedArticle | None:
        return next((a for a in self.articles if a.ref == ref), None)


# --- assembling text -------------------------------------------------------------------------------


@dataclass
class _Unit:  # the lines of one numbered part, up to the next numbered part
    marker: Marker | None
    lines: list[Line]


def _paragraphs(units: Sequence[_Unit], full: int, *, own_first: bool) -> list[list[str]]:
    """Per unit, its paragraphs (text joined across PDF wraps, not yet despaced); every unit's label is
    left out (the caller puts item labels back)."""
    out = []
    for unit in units:
        paras: list[str] = []
        current: list[str] = []
        for i, line in enumerate(unit.lines):
            text = unit.marker.rest if i == 0 and unit.marker is not None else line.text
            current.append(text)
            if ends_paragraph(line, full) or i == len(unit.lines) - 1:
                paras.append("".join(current))
                current = []
        out.append([p for p in paras if p.strip()])
    return out


class _Cleaner:
    def __init__(self, fixes: Sequence[tuple[str, str]]):
        self.fixes = fixes

    def __call__(self, text: str, *, table: bool = False) -> str:
        text = despace(text, only_wide_pairs=table).strip()
        return apply_fixes(text, self.fixes)


def _heading(first_paragraph: str) -> str:
    """The lead sentence of a paragraph ending in 。 (``推进老旧街区改造。…`` → ``推进老旧街区改造``), or
    a short paragraph without a full stop (a heading line of its own); else empty."""
    idx = first_paragraph.find("。")
    if 0 < idx <= HEADING_MAX:
        return first_paragraph[:idx]
    if idx < 0 and len(first_paragraph) <= HEADING_MAX and not first_paragraph.endswith(("：", "；", "，")):
        return first_paragraph
    return ""


class _Builder:
    def __init__(self, structure: str, fixes: Sequence[tuple[str, str]], full: int):
        self.doc = ParsedDocument(structure)
        self.clean = _Cleaner(fixes)
        self.full = full
        self.refs: dict[str, int] = {}

    def unique(self, ref: str) -> str:
        n = self.refs.get(ref, 0) + 1
        self.refs[ref] = n
        return ref if n == 1 else f"{ref}之{n}"

    def article(self, ref: str, label: str, units: Sequence[_Unit], *, section: int | None, heading: str | None = None,
                item_kinds: tuple[str, ...] = (), own_first: bool = True) -> ParsedArticle | None:
        """An article from its unit(s). With ``own_first`` the first unit's label is the article's own
        (not repeated in the text); other units whose marker kind is in ``item_kinds`` are items."""
        lines = [ln for u in units for ln in u.lines]
        if not lines:
            return None
        parts = _paragraphs(units, self.full, own_first=own_first)
        paragraphs: list[str] = []
        items: list[ParsedItem] = []
        for k, paras in enumerate(parts):
            cleaned = [c for c in (self.clean(p) for p in paras) if c]
            unit = units[k]
            own = k == 0 and own_first
            if unit.marker is not None and not own:
                if unit.marker.kind in item_kinds:
                    items.append(ParsedItem(unit.marker.label, "\n".join(cleaned)))
                cleaned = [unit.marker.label + cleaned[0], *cleaned[1:]] if cleaned else [unit.marker.label]
            paragraphs.extend(cleaned)
        text = "\n".join(paragraphs)
        if not text and not heading:
            return None
        if heading is None:
            heading = _heading(paragraphs[0]) if paragraphs else ""
        art = ParsedArticle(
            ref=self.unique(ref), label=label, heading=heading, text=text,
            line_start=lines[0].no, line_end=lines[-1].no, section=section, items=items,
        )
        self.doc.articles.append(art)
        return art


def _accept(kind: str, number: int, last: dict[str, int]) -> bool:
    prev = last.get(kind, 0)
    return number == 1 or prev < number <= prev + 2 or number == prev


def _units(lines: Sequence[Line], kinds: tuple[str, ...]) -> list[_Unit]:
    units: list[_Unit] = []
    last: dict[str, int] = {}
    for line in lines:
        m = marker(line.text)
        if m is not None and m.kind in kinds and _accept(m.kind, m.number, last):
            last[m.kind] = m.number
            units.append(_Unit(m, [line]))
        elif units:
            units[-1].lines.append(line)
        else:
            units.append(_Unit(None, [line]))
    return units


# --- the structures --------------------------------------------------------------------------------


def _parse_articles(b: _Builder, lines: Sequence[Line]) -> None:
    units = _units(lines, ("chapter", "part", "article", "h2", "n", "pn"))
    section: int | None = None
    group: list[_Unit] = []
    head: Marker | None = None

    def flush() -> None:
        if not group:
            return
        if head is None:
            b.article(PREAMBLE, PREAMBLE, group, section=section, heading="", item_kinds=("h2", "n", "pn"), own_first=False)
        else:
            b.article(canonical_label(head), head.label, group, section=section, heading="", item_kinds=("h2", "n", "pn"))

    for unit in units:
        m = unit.marker
        if m is not None and m.kind in ("chapter", "part"):
            flush()
            group, head = [], None
            b.doc.sections.append(ParsedSection(canonical_label(m), b.clean(m.rest)))
            section = len(b.doc.sections) - 1
            if len(unit.lines) > 1:  # text under a chapter heading before its first article
                group = [_Unit(None, unit.lines[1:])]
        elif m is not None and m.kind == "article":
            flush()
            group, head = [unit], m
        else:
            group.append(unit)
    flush()


def _split_heading(b: _Builder, unit: _Unit) -> tuple[str, list[Line] | None]:
    """A 一、 unit's title, and the lines of its text when the title is a heading line of its own
    (None when the title is the lead sentence of the text, which then starts on the marker line)."""
    consumed, acc = 0, ""
    for i, line in enumerate(unit.lines):
        acc += unit.marker.rest if i == 0 else line.text
        consumed = i + 1
        if ends_paragraph(line, b.full):
            break
    first = b.clean(acc)
    title = _heading(first)
    if title and title == first:
        return title, unit.lines[consumed:]
    return title, None


CLOSING_RE = re.compile(r"^本(实施方案|方案|意见|文件|通知|措施|办法|计划|规定)(自|根据|由|有效期)")


def _closing(b: _Builder, lines: Sequence[Line]) -> int:
    """Where a closing paragraph (本方案自印发之日起施行…) after the last numbered part starts; len(lines)
    when there is none. It is the document's, not the last article's."""
    for i in range(len(lines) - 1, max(0, len(lines) - 4), -1):
        if CLOSING_RE.match(lines[i].text.strip()) and ends_paragraph(lines[i - 1], b.full):
            return i
    return len(lines)


def _parse_outline(b: _Builder, lines: Sequence[Line]) -> None:
    cut = _closing(b, lines)
    lines, closing = lines[:cut], lines[cut:]
    units = _units(lines, ("h1", "h2", "n", "pn"))
    has_h1 = any(u.marker is not None and u.marker.kind == "h1" for u in units)
    section: int | None = None
    sec_label = sec_title = ""
    group: list[_Unit] = []
    head: Marker | None = None
    own_first = False

    def flush() -> None:
        if not group:
            return
        if head is None:
            b.article(PREAMBLE, PREAMBLE, group, section=None, heading="", item_kinds=("n", "pn"), own_first=False)
        elif head.kind == "h1":
            b.article(sec_label, head.label, group, section=section, heading=sec_title, item_kinds=("n", "pn"),
                      own_first=own_first)
        else:
            ref = f"{sec_label}{canonical_label(head)}" if has_h1 and sec_label else canonical_label(head)
            b.article(ref, head.label, group, section=section, item_kinds=("n", "pn"))

    for unit in units:
        m = unit.marker
        if m is not None and m.kind == "h1":
            flush()
            sec_label = canonical_label(m)
            sec_title, text_lines = _split_heading(b, unit)
            b.doc.sections.append(ParsedSection(sec_label, sec_title))
            section = len(b.doc.sections) - 1
            head = m
            if text_lines is None:
                group, own_first = [unit], True
            else:
                group, own_first = ([_Unit(None, text_lines)] if text_lines else []), False
        elif m is not None and m.kind == "h2":
            flush()
            group, head, own_first = [unit], m, True
        else:
            group.append(unit)
    flush()
    if closing:
        b.article(CLOSING, CLOSING, [_Unit(None, list(closing))], section=None, heading="", own_first=False)


def _parse_paragraphs(b: _Builder, lines: Sequence[Line]) -> None:
    # join wrapped lines into paragraphs first
    paras: list[list[Line]] = []
    current: list[Line] = []
    for line in lines:
        current.append(line)
        if ends_paragraph(line, b.full):
            paras.append(current)
            current = []
    if current:
        paras.append(current)
    for n, para in enumerate(paras, start=1):
        b.article(f"第{n}段", f"第{n}段", [_Unit(None, para)], section=None, heading="")


ROW_RE = re.compile(r"^([\u4e00-\u9fff]{2,5})?(\d{1,3})(?:\s+(.*))?$")
BANNER_RE = re.compile(r"^(.+?)[（(]总投资\s*[\d.]+\s*亿元[）)]$")
TOTAL_RE = re.compile(r"^合\s*计")
CODE_RE = re.compile(r"^(K\d{9})\s+(.*)$")
NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$")
CELL_RE = re.compile(r"^[\u4e00-\u9fff]{1,4}$")  # a short label cell after a value: 中原区, 郑东


def _join_cells(lines: Sequence[Line]) -> str:
    """A table row's lines joined: a cell wrapped between two Chinese characters is joined without a
    space (城市更新 / （综合提升）项目), other line breaks become a space; spaces inside a line stay."""
    out = ""
    for ln in lines:
        t = re.sub(r"\s+", " ", ln.text.strip())
        if not t:
            continue
        if out and not (is_wide(out[-1]) and is_wide(t[0])):
            out += " "
        out += t
    return out


def _project_name(text: str) -> str:
    """The project name of a project-library row ``K… NAME VALUE [district …]``: the tokens up to the
    value that is followed by the end, another value or a short label cell (``1958双创园`` and
    ``2025 年…`` are part of names)."""
    m = CODE_RE.match(text)
    if not m:
        return ""
    tokens = m.group(2).split(" ")
    for i, tok in enumerate(tokens):
        if i and NUMBER_RE.match(tok):
            after = tokens[i + 1] if i + 1 < len(tokens) else ""
            if not after or NUMBER_RE.match(after) or CELL_RE.match(after):
                return despace(" ".join(tokens[:i]))
    return ""


def _parse_table(b: _Builder, lines: Sequence[Line], row_headings: dict[int, str], prose_cells: bool) -> None:
    header: list[Line] = []
    rows: list[tuple[int, str, list[Line], int | None]] = []  # (number, label, lines, section)
    total: list[Line] = []
    expected = 1
    section: int | None = None
    for line in lines:
        text = line.text.strip()
        banner = BANNER_RE.match(text)
        if banner:
            b.doc.sections.append(ParsedSection(despace(banner.group(1)), despace(text)))
            section = len(b.doc.sections) - 1
            continue
        if (TOTAL_RE.match(text) and rows) or total:
            total.append(line)
            continue
        m = ROW_RE.match(text)
        if m and int(m.group(2)) == expected:
            cells = [Line(line.no, m.group(3) or "")]
            if m.group(1):  # a district label printed glued to the row number (中原区2 K…): that row's cell
                cells.append(Line(line.no, m.group(1)))
            rows.append((expected, m.group(2), cells, section))
            expected += 1
        elif rows:
            rows[-1][2].append(line)
        else:
            header.append(line)

    def clean(lines: Sequence[Line]) -> str:
        text = _join_cells(lines)
        return b.clean(text) if prose_cells else apply_fixes(text, b.clean.fixes)

    if header:
        b.doc.articles.append(ParsedArticle(b.unique(TABLE_HEADER), TABLE_HEADER, "", clean(header), header[0].no, header[-1].no))
    for number, label, row_lines, sec in rows:
        text = clean(row_lines)
        heading = row_headings.get(number, "") or _project_name(text)
        b.doc.articles.append(ParsedArticle(
            b.unique(f"序号{number}"), label, heading, text, row_lines[0].no, row_lines[-1].no, sec,
        ))
    if total:
        b.doc.articles.append(ParsedArticle(b.unique(TABLE_TOTAL), TABLE_TOTAL, "", clean(total), total[0].no, total[-1].no))


def parse(lines: Sequence[Line], structure: str, *, fixes: Sequence[tuple[str, str]] = (),
          row_headings: dict[int, str] | None = None, prose_cells: bool = False) -> ParsedDocument:
    """Parse cleaned source lines (page furniture removed, personal data masked) into a document."""
    lines = [ln for ln in lines if ln.text.strip()]
    if not lines:
        raise StructureError("文件中没有可识别的文字")
    b = _Builder(structure, fixes, typical_width(lines))
    if structure == "articles":
        _parse_articles(b, lines)
    elif structure == "outline":
        _parse_outline(b, lines)
    elif structure == "paragraphs":
        _parse_paragraphs(b, lines)
    elif structure == "table":
        _parse_table(b, lines, row_headings or {}, prose_cells)
    else:
        raise StructureError(f"不支持的文本结构：{structure}")
    if not b.doc.articles:
        raise StructureError("未能从文件中解析出任何条文")
    return b.doc


def detect_structure(lines: Sequence[Line]) -> str | None:
    """条文式 when lines start with 第一条, 第二条 …; 提纲式 when with 一、 二、 or （一）（二）; else None."""
    kinds: dict[str, list[int]] = {}
    for ln in lines:
        m = marker(ln.text.strip())
        if m is not None:
            kinds.setdefault(m.kind, []).append(m.number)

    def sequence(kind: str) -> bool:  # at least 1 and 2 in order
        nums = kinds.get(kind, [])
        return 1 in nums and 2 in nums[nums.index(1):]

    if sequence("article"):
        return "articles"
    if sequence("h1") or sequence("h2"):
        return "outline"
    return None


__all__ = ["ParsedArticle", "ParsedDocument", "ParsedItem", "ParsedSection", "StructureError", "detect_structure",
           "int_to_cn", "parse"]

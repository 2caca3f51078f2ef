"""Cleaning of policy text extracted from PDFs (清洗): page furniture, line wraps, spaces, OCR, personal data.

Pure functions, no Django: the ingest of the seeds and the import of a city's own documents share them.

* :func:`mask_personal` — 18-digit ID numbers (and certificate numbers built on one), mobile and
  landline phone numbers are masked when a text enters the library, and counted:
  ``370831198110253913`` → ``370831********3913``, ``13812345678`` → ``138****5678``,
  ``0371-67789598`` → ``0371-****9598``.
* :func:`normalize_chars` — Kangxi radicals a PDF's font maps to (``⽼旧⼩区``) become ideographs.
* :func:`is_furniture` — page footers and stray page numbers.
* :func:`despace` — spaces a PDF extraction puts inside Chinese text (``2025 年 5 月``, ``改 造``)
  go; a space between two Latin letters or digits (``GB 55027``) stays.
* :func:`paragraphs` — PDF lines joined back into paragraphs: a line shorter than the text width
  ends its paragraph, a numbered line (第一条, 一、, （一）, 1.) starts one.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# --- personal data (个人信息脱敏) --------------------------------------------------------------------

# An ID number (GB 11643: 6-digit region, birth date 19xx/20xx, 3-digit sequence, check digit); a
# certificate number made of an ID number plus two digits (残疾人证) is masked the same way.
ID_RE = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{5})((?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3})([\dXx](?:\d{2})?)(?![0-9A-Za-z])")
MOBILE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
# area code 0xx / 0xxx, a dash (any width) or space, 7-8 digits; or (0xx)xxxxxxxx
LANDLINE_RE = re.compile(r"(?<!\d)((?:0\d{2,3})\s*[-—－–]\s*|[（(]0\d{2,3}[）)]\s*)(\d{3,4})(\d{4})(?!\d)")
MASK_LABELS = {"id": "身份证号", "mobile": "手机号码", "landline": "固定电话"}


def mask_personal(text: str, counts: Counter | None = None) -> str:
    """``text`` with ID numbers and phone numbers masked; ``counts`` (if given) gets one per mask."""

    def id_sub(m: re.Match) -> str:
        if counts is not None:
            counts["id"] += 1
        whole = m.group(0)
        return whole[:6] + "*" * (len(whole) - 10) + whole[-4:]

    def mobile_sub(m: re.Match) -> str:
        if counts is not None:
            counts["mobile"] += 1
        return m.group(1) + "****" + m.group(3)

    def landline_sub(m: re.Match) -> str:
        if counts is not None:
            counts["landline"] += 1
        return m.group(1) + "****" + m.group(3)

    text = ID_RE.sub(id_sub, text)
    text = MOBILE_RE.sub(mobile_sub, text)
    return LANDLINE_RE.sub(landline_sub, text)


def masked_summary(counts: Counter) -> str:
    """``身份证号 1 处、固定电话 2 处`` (empty when nothing was masked)."""
    return "、".join(f"{MASK_LABELS[k]} {counts[k]} 处" for k in MASK_LABELS if counts.get(k))


# --- characters ------------------------------------------------------------------------------------


def _radical(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch)


RADICALS = {cp: _radical(chr(cp)) for cp in list(range(0x2E80, 0x2EFF + 1)) + list(range(0x2F00, 0x2FDF + 1))
            if _radical(chr(cp)) != chr(cp)}


def normalize_chars(text: str) -> str:
    """Kangxi radicals that PDF fonts map glyphs to (``⽼旧⼩区`` U+2F7C, U+2F29) → the ideographs
    (``老旧小区``); nothing else changes (full-width punctuation stays)."""
    return text.translate(RADICALS)


# --- page furniture --------------------------------------------------------------------------------

PAGE_NUMBER_RE = re.compile(r"^\s*[-—]?\s*\d{1,4}\s*[-—]?\s*$")


def is_furniture(line: str, patterns: Sequence[re.Pattern]) -> bool:
    """A page footer (one of ``patterns``) or a standalone page number (``19``, ``- 19 -``)."""
    return any(p.search(line) for p in patterns) or bool(PAGE_NUMBER_RE.match(line))


# --- spaces and width ------------------------------------------------------------------------------


def is_wide(ch: str) -> bool:
    """CJK characters and full-width punctuation (what a Chinese text is made of)."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


SPACES = " \t\u3000\u00a0"


def despace(text: str, *, keep_between_latin: bool = True, only_wide_pairs: bool = False) -> str:
    """Remove runs of spaces next to a wide (CJK) character; keep them between two narrow characters.

    ``only_wide_pairs`` removes a space only when both neighbours are wide (for table rows, where a
    space separates a name from a number: ``芝麻街 1958双创园 50``).
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in SPACES:
            j = i
            while j < n and text[j] in SPACES:
                j += 1
            before = out[-1] if out else ""
            after = text[j] if j < n else ""
            if not before or not after:
                i = j
                continue
            wide_b, wide_a = is_wide(before), is_wide(after)
            drop = (wide_b and wide_a) if only_wide_pairs else (wide_b or wide_a)
            if not drop:
                out.append(" ")
            i = j
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def width(text: str) -> int:
    """Display width: 2 for a wide character, 1 for the rest (what a PDF line's length is in)."""
    return sum(2 if is_wide(c) else 1 for c in text)


def apply_fixes(text: str, fixes: Iterable[tuple[str, str]]) -> str:
    for wrong, right in fixes:
        text = text.replace(wrong, right)
    return text


# --- numbering -------------------------------------------------------------------------------------

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_NUM = "[一二三四五六七八九十百零〇两]+"


def cn_to_int(s: str) -> int:
    """一 → 1, 十二 → 12, 二十 → 20, 一百零五 → 105."""
    total, current = 0, 0
    for ch in s:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = CN_DIGITS[ch]
    return total + current


def int_to_cn(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十, 105 → 一百零五."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    rest = n % 100
    head = digits[n // 100] + "百"
    if rest == 0:
        return head
    return head + ("零" + digits[rest] if rest < 10 else (int_to_cn(rest) if rest >= 20 else "一" + int_to_cn(rest)))


@dataclass(frozen=True)
class Marker:  # 编号
    kind: str  # chapter 章 | part 节 | article 条 | h1 一、 | h2 （一） | n 1. | pn （1）
    number: int
    label: str  # as printed, e.g. （十八）
    rest: str  # the line's text after the label


MARKERS = [
    ("chapter", re.compile(rf"^(第\s*({CN_NUM})\s*章)\s*(.*)$")),
    ("part", re.compile(rf"^(第\s*({CN_NUM})\s*节)\s*(.*)$")),
    ("article", re.compile(rf"^(第\s*({CN_NUM})\s*条)\s*(.*)$")),
    ("h1", re.compile(rf"^(({CN_NUM})\s*、)\s*(.*)$")),
    ("h2", re.compile(rf"^([（(]\s*({CN_NUM})\s*[）)])\s*(.*)$")),
    ("n", re.compile(r"^((\d{1,2})\s*[.．、](?!\d))\s*(.*)$")),
    ("pn", re.compile(r"^([（(]\s*(\d{1,2})\s*[）)])\s*(.*)$")),
]


def marker(line: str) -> Marker | None:
    """The numbering a line starts with, if any."""
    for kind, rx in MARKERS:
        m = rx.match(line)
        if m:
            raw = m.group(2)
            number = int(raw) if raw.isdigit() else cn_to_int(raw)
            return Marker(kind, number, re.sub(r"\s+", "", m.group(1)), m.group(3))
    return None


def canonical_label(m: Marker) -> str:
    """The label in the reference convention: 第十二条, 二、, （三）, 1., （1）."""
    cn = int_to_cn(m.number)
    return {
        "chapter": f"第{cn}章", "part": f"第{cn}节", "article": f"第{cn}条", "h1": f"{cn}、",
        "h2": f"（{cn}）", "n": f"{m.number}.", "pn": f"（{m.number}）",
    }[m.kind]


# --- paragraphs ------------------------------------------------------------------------------------

END_PUNCT = "。！？；：…”’）)」』"


@dataclass
class Line:  # one source line after cleaning
    no: int  # 1-based line number in the source
    text: str
    hard_break: bool = False  # the source line is a whole paragraph (docx paragraph, news line)
    continues: bool = False  # the paragraph goes on in the next line whatever its width (a known wrap)


def typical_width(lines: Sequence[Line]) -> int:
    """The width of a full PDF line in this text (the 80th percentile of the line widths)."""
    widths = sorted(width(ln.text) for ln in lines if ln.text)
    if not widths:
        return 0
    return widths[min(len(widths) - 1, int(len(widths) * 0.8))]


def ends_paragraph(line: Line, full: int) -> bool:
    """Whether the paragraph ends after ``line``: a whole-paragraph line, or a line clearly shorter
    than a full line of the text (a PDF wraps only full lines)."""
    if line.continues:
        return False
    if line.hard_break:
        return True
    text = line.text.rstrip()
    m = marker(text)
    if m is not None and m.kind in ("chapter", "part", "h1", "h2") and len(m.rest) <= 40 and \
            not any(p in m.rest for p in "，。；：、,;:") and text[-1:] in "）)":
        return True  # a heading line of its own: （二）积极开展设施设备评估（2024 年 7 月-2024 年 8 月）
    w = width(line.text)
    return w < full * 0.85 or (w < full * 0.93 and line.text.rstrip()[-1:] in "。！？；：")

"""Ledger columns (台账字段): Chinese headers ↔ canonical column names, and typed parsing of a table.

The renewal rules read canonical English columns (``code``, ``category``, ``commissioned`` …); a ledger
file carries Chinese headers (``编号``, ``设备类别``, ``投用日期`` …). :data:`COLUMNS` lists, per ledger
kind, every column a rule may read: its type and whether the import contract requires it; the Chinese
headers (and the other headers accepted) are those of :mod:`cityrenew.ledgers.headers`, which the importer
reads too. :func:`to_canonical` maps a raw table (headers as read,
cells as text) onto typed canonical columns, all-or-nothing: every bad cell is reported as
``第 3 行「投用日期」：…`` and nothing is returned. ``cityrenew ledgers evaluate FILE`` reads files with it;
``cityrenew ledgers import`` reads the same headers (cityrenew.ledgers.columns).

Cell types: ``text``; ``date`` (``2006-06-30``, ``2006/6/30``, ``2006年6月30日``, an Excel date);
``number`` (float, ``%`` stripped for percentages); ``year`` (integer); ``bool`` (是/否, Y/N, 1/0, true/false;
an empty cell is unknown, not 否).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cityrenew.ledgers.headers import HEADERS, accepted_headers, normalise_header


@dataclass(frozen=True)
class Column:  # 台账字段
    name: str  # canonical name the rules read; its Chinese headers are in cityrenew.ledgers.headers
    type: str  # text / date / number / year / bool
    required: bool = False  # the import contract requires the column (cells may still be empty)

    @property
    def header(self) -> str:  # Chinese header in ledger files and templates
        return HEADERS[self.name][0]


EQUIPMENT = (
    Column("code", "text", True),
    Column("category", "text", True),
    Column("material", "text", True),
    Column("commissioned", "date", True),
    Column("capacity_tph", "number", True),
    Column("efficiency_grade", "text", True),
    Column("emission_ok", "bool", True),
    Column("hazard", "bool", True),
    Column("inspection", "text", True),
    Column("region", "text", True),
    Column("length_km", "number", False),
    Column("subtype", "text", False),
    # condition columns the province catalogues name (optional; empty = not known)
    Column("service_life_exceeded", "bool", False),
    Column("damaged", "bool", False),
    Column("no_repair_value", "bool", False),
    Column("high_energy", "bool", False),
    Column("low_efficiency", "bool", False),
    Column("efficiency_ok", "bool", False),
    Column("outdated", "bool", False),
    Column("banned", "bool", False),
    Column("standard_fail", "bool", False),
    Column("water_quality_fail", "bool", False),
    Column("frequent_faults", "bool", False),
    Column("high_maintenance", "bool", False),
    Column("major_accident", "bool", False),
    Column("gb5842_ok", "bool", False),
    Column("structure_type", "text", False),
    Column("misconnection", "bool", False),
    Column("structural_defect", "bool", False),
    Column("functional_defect", "bool", False),
    Column("leak", "bool", False),
    Column("heat_loss_high", "bool", False),
    Column("converted_gas", "bool", False),
    Column("corroded", "bool", False),
    Column("enclosed_space", "bool", False),
    Column("spacing_fail", "bool", False),
    Column("scrap_condition", "bool", False),
)

BUILDING = (
    Column("code", "text", True),
    Column("name", "text", True),
    Column("function", "text", True),
    Column("built_year", "year", True),
    Column("seismic_retrofitted", "bool", True),
    Column("other_safety_retrofitted", "bool", True),
    Column("energy_retrofitted", "bool", True),
    Column("energy_ratio_prev2", "number", True),
    Column("energy_ratio_prev1", "number", True),
    Column("region", "text", True),
)

COMMUNITY = (
    Column("code", "text", True),
    Column("name", "text", True),
    Column("built_year", "year", True),
    Column("households", "number", False),
    Column("buildings", "number", False),
    Column("region", "text", True),
)

DANGEROUS_HOUSING = (
    Column("code", "text", True),
    Column("grade", "text", True),
    Column("land_type", "text", True),
    Column("heritage", "bool", False),
    Column("non_self_contained", "bool", False),
    Column("region", "text", True),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    "equipment": EQUIPMENT,
    "building": BUILDING,
    "community": COMMUNITY,
    "dangerous_housing": DANGEROUS_HOUSING,
}
KIND_LABELS = {"equipment": "设施设备", "building": "老旧楼宇", "community": "城镇老旧小区", "dangerous_housing": "危险住房"}

# Stored choice values of the ledger models (cityrenew.ledgers.choices) → the wording the rules use, so a
# frame read from the database (codes) and one read from a file (Chinese labels) evaluate alike.
VALUE_LABELS: dict[str, dict[str, str]] = {
    "land_type": {"state": "国有土地", "collective": "集体土地"},
    "function": {"office": "办公", "commerce": "商业服务业", "mixed": "办公与商业服务业", "other": "其他"},
    "grade": {"C": "C级", "D": "D级"},
}

BOOL_TRUE = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
BOOL_FALSE = {"否", "无", "n", "no", "false", "0", "×", "✗"}


class LedgerFileError(ValueError):
    """A ledger table that cannot be read; ``messages`` lists every problem (row, field, reason) in Chinese."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        more = f"（另有 {len(messages) - 20} 处）" if len(messages) > 20 else ""
        super().__init__("；".join(messages[:20]) + more)


def header_map(kind: str) -> dict[str, Column]:
    """Normalised header (Chinese, alias or canonical name) → column, for one ledger kind."""
    out: dict[str, Column] = {}
    for col in COLUMNS[kind]:
        for h in accepted_headers(col.name):
            out[normalise_header(h)] = col
    return out


def _other_kind(headers: set[str], kind: str) -> str:
    """The ledger kind whose required headers the file has, when it is not ``kind`` (a wrong template)."""
    for other, cols in COLUMNS.items():
        if other != kind and all(normalise_header(c.header) in headers for c in cols if c.required):
            return other
    return ""


def check_headers(headers: list[str], kind: str) -> dict[str, str]:
    """Raw header → canonical name for the recognised headers; raises on missing required columns."""
    if kind not in COLUMNS:
        raise LedgerFileError([f"未知的台账类型“{kind}”（可选：{'、'.join(COLUMNS)}）"])
    hmap = header_map(kind)
    found: dict[str, str] = {}
    for h in headers:
        col = hmap.get(normalise_header(h))
        if col is not None and col.name not in found.values():
            found[h] = col.name
    missing = [c.header for c in COLUMNS[kind] if c.required and c.name not in found.values()]
    if missing:
        norm = {normalise_header(h) for h in headers}
        other = _other_kind(norm, kind)
        if other:
            raise LedgerFileError([f"这是{KIND_LABELS[other]}台账的表格，不是{KIND_LABELS[kind]}台账：请使用{KIND_LABELS[kind]}台账模板"])
        raise LedgerFileError([f"缺少必需的列「{h}」" for h in missing])
    return found


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def _parse_date(v: Any) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    s = str(v).strip()
    if re.search(r"\s\d{1,2}:\d{2}", s):  # "2006-06-30 00:00:00": the date part
        s = s.split()[0]
    m = _DATE_RE.match(s)
    if not m:
        raise ValueError("日期格式不正确，应为 2006-06-30")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueError(f"日期“{s}”不存在") from None


def _parse_number(v: Any, *, integer: bool = False) -> float:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        x = float(v)
    else:
        s = str(v).strip().replace(",", "").replace("，", "").rstrip("%％")
        try:
            x = float(s)
        except ValueError:
            raise ValueError("应为数字") from None
    if integer and x != int(x):
        raise ValueError("应为整数年份")
    return x


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip())


def to_canonical(raw: pd.DataFrame, kind: str, *, first_row: int = 2, today: date | None = None) -> pd.DataFrame:
    """Typed canonical frame from a raw table (headers as in the file, cells as read).

    Rows are numbered for messages as the user sees them (header = row 1). Dates in the future (after
    ``today``), negative numbers and unreadable cells are errors; all are collected, then raised together.
    """
    mapping = check_headers([str(c) for c in raw.columns], kind)
    cols = {c.name: c for c in COLUMNS[kind]}
    today = today or date.today()
    errors: list[str] = []
    out: dict[str, Any] = {}
    n = len(raw)
    for header, name in mapping.items():
        col = cols[name]
        values = raw[header].tolist()
        if col.type == "text":
            out[name] = pd.Series([None if _empty(v) else str(v).strip() for v in values], dtype=object)
            continue
        parsed: list[Any] = []
        for i, v in enumerate(values):
            if _empty(v):
                parsed.append(None)
                continue
            try:
                if col.type == "date":
                    d = _parse_date(v)
                    if d > today:
                        raise ValueError(f"日期 {d.isoformat()} 在今天（{today.isoformat()}）之后")
                    parsed.append(d)
                elif col.type == "bool":
                    s = str(v).strip().lower()
                    if s in BOOL_TRUE:
                        parsed.append(True)
                    elif s in BOOL_FALSE:
                        parsed.append(False)
                    else:
                        raise ValueError(f"应为“是”或“否”，而不是“{v}”")
                else:
                    x = _parse_number(v, integer=col.type == "year")
                    if x < 0:
                        raise ValueError(f"不能为负数（{v}）")
                    if col.type == "year" and not 1800 <= x <= today.year:
                        raise ValueError(f"年份 {int(x)} 不合理（应在 1800 至 {today.year} 之间）")
                    parsed.append(x)
            except ValueError as exc:
                errors.append(f"第 {first_row + i} 行「{col.header}」：{exc}")
                parsed.append(None)
        if col.type == "date":
            out[name] = pd.to_datetime(pd.Series(parsed, dtype=object), errors="coerce")
        elif col.type == "bool":
            out[name] = pd.Series(parsed, dtype="boolean")
        else:
            out[name] = pd.Series(parsed, dtype="float64")
    if "code" in out:
        codes = out["code"]
        for i in np.flatnonzero(codes.isna().to_numpy()):
            errors.append(f"第 {first_row + int(i)} 行「编号」：不能为空")
        dup = codes.duplicated(keep="first") & codes.notna()
        for i in np.flatnonzero(dup.to_numpy()):
            errors.append(f"第 {first_row + int(i)} 行「编号」：编号“{codes.iloc[int(i)]}”重复")
    if errors:
        raise LedgerFileError(errors)
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def read_table(path: str | Path, kind: str, *, today: date | None = None) -> pd.DataFrame:
    """Read a ledger file (CSV in UTF-8/GBK, or xlsx: first sheet) into typed canonical columns."""
    p = Path(path)
    if not p.is_file():
        raise LedgerFileError([f"文件不存在：{p}"])
    suffix = p.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            raw = pd.read_excel(p, dtype=object, engine="openpyxl")
        elif suffix in (".csv", ".txt"):
            try:
                raw = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            except UnicodeDecodeError:
                raw = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="gbk")
        else:
            raise LedgerFileError([f"不支持的文件类型“{suffix or '（无扩展名）'}”：请使用 CSV 或 Excel（.xlsx）文件"])
    except LedgerFileError:
        raise
    except Exception as exc:  # a damaged file: say so in Chinese, not a traceback
        raise LedgerFileError([f"无法读取文件 {p.name}：{exc}"]) from exc
    return to_canonical(raw, kind, today=today)

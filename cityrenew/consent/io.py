"""Reading a vote table (CSV in UTF-8 or GBK, or xlsx) with columns 房号, 业主, 专有部分面积, 表决."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from cityrenew.core.tabular import cell_text

from .tally import COLUMNS, ConsentError, Unit, units_from_rows


def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gbk"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ConsentError([f"文件“{name}”既不是 UTF-8 也不是 GBK 编码的文本"])


def _table(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    if not data.strip():
        raise ConsentError([f"文件“{path.name}”是空文件"])
    if data[:4] == b"PK\x03\x04":  # xlsx
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, TypeError) as exc:  # damaged workbook
            raise ConsentError([f"文件“{path.name}”不是有效的 xlsx 文件（{exc.__class__.__name__}）"]) from None
        if not wb.worksheets:
            raise ConsentError([f"文件“{path.name}”中没有工作表"])
        return [[cell_text(v) for v in row] for row in wb.worksheets[0].iter_rows(values_only=True)]
    return [row for row in csv.reader(io.StringIO(_decode(data, path.name)))]


def read_units(path: str | Path) -> list[Unit]:
    """The units of a vote table, or :class:`ConsentError` with Chinese messages naming row and field."""
    path = Path(path)
    if not path.is_file():
        raise ConsentError([f"找不到文件“{path}”"])
    table = [r for r in _table(path)]
    while table and not any(c.strip() for c in table[-1]):
        table.pop()
    if not table:
        raise ConsentError([f"文件“{path.name}”是空文件"])
    header = [c.strip() for c in table[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ConsentError([f"第1行（表头）缺少列：{'、'.join(missing)}（应有列：{'、'.join(COLUMNS)}）"])
    index = {c: header.index(c) for c in COLUMNS}
    rows = []
    for n, r in enumerate(table[1:], start=2):
        if not any(c.strip() for c in r):
            continue
        rows.append((n, {c: (r[i] if i < len(r) else "") for c, i in index.items()}))
    return units_from_rows(rows)

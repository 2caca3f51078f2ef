"""Shared pieces of every tabular import (Excel/CSV): row errors and cell text.

One wording for every import in the system: ``第 3 行「项目编号」：格式不正确…`` — row, field,
reason, in Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RowError:  # 行级错误
    row: int  # the row number as the user sees it in the file (0: the whole file)
    field: str  # column label in Chinese, e.g. 项目编号
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行「{self.field}」：{self.message}" if self.row else f"「{self.field}」：{self.message}"


def cell_text(v: Any) -> str:
    """A cell's value as stripped text; Excel's 12.0 for a typed 12 becomes "12"."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def read_upload(file: Any) -> bytes:
    """The bytes of an uploaded file object, a path, or bytes."""
    if isinstance(file, (bytes, bytearray)):
        return bytes(file)
    if hasattr(file, "read"):
        data = file.read()
        return data.encode("utf-8") if isinstance(data, str) else data
    with open(file, "rb") as fh:
        return fh.read()

"""Shared pieces of every tabular import (Excel/CSV): limits, row errors and cell text.

One wording for every import in the system: ``第 3 行「项目编号」：格式不正确…`` — row, field,
reason, in Chinese.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from . import uploads


@dataclass(frozen=True)
class RowError:  # 行级错误
    row: int  # the row number as the user sees it in the file (0: the whole file)
    field: str  # column label in Chinese, e.g. 项目编号
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行「{self.field}」：{self.message}" if self.row else f"「{self.field}」：{self.message}"


@dataclass
class RowErrorReport:
    """What every import report shares: its row errors, each (row, field, message) listed once."""

    errors: list[RowError] = field(default_factory=list)
    _seen: set[RowError] = field(default_factory=set, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_error(self, err: RowError) -> None:
        if err not in self._seen:
            self._seen.add(err)
            self.errors.append(err)


def write_failed(exc: Exception) -> str:
    """The message of an import whose one transaction failed at the database and was rolled back."""
    return f"写入数据库时出错，已全部撤销，数据库未做任何修改（{type(exc).__name__}：{exc}）"


def count_in_stream(fh: Any, pattern: re.Pattern[bytes], *, stop_after: int | None = None, overlap: int = 64) -> int:
    """Matches of ``pattern`` in a binary stream read 1 MB at a time (constant memory), stopping once
    more than ``stop_after`` are found. The last ``overlap`` bytes of a chunk are read again with the
    next one, so a match cut by a chunk boundary is counted once (matches are shorter than ``overlap``)."""
    n, tail = 0, b""
    while (stop_after is None or n <= stop_after) and (chunk := fh.read(1 << 20)):
        buf = tail + chunk
        n += len(pattern.findall(buf))
        tail = buf[-overlap:]
        n -= len(pattern.findall(tail))  # counted again with the next chunk
    return n + len(pattern.findall(tail))


def cell_text(v: Any) -> str:
    """A cell's value as stripped text; Excel's 12.0 for a typed 12 becomes "12"."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def read_upload(file: Any) -> bytes:
    """The bytes of an uploaded table (file object, path or bytes) after :func:`check_table`.

    The size is checked before anything is read (never more than the limit plus one byte is read
    from a stream of unknown size); raises :class:`~cityrenew.core.uploads.UploadLimitError`.
    """
    if isinstance(file, (bytes, bytearray)):
        data = bytes(file)
    elif hasattr(file, "read"):
        size = uploads.size_of(file)
        if size is not None:
            uploads.check_size(size, "table")
        data = file.read(uploads.limits()["max_bytes"]["table"] + 1)
        data = data.encode("utf-8") if isinstance(data, str) else data
    else:
        uploads.check_size(os.path.getsize(file), "table")
        with open(file, "rb") as fh:
            data = fh.read()
    check_table(data)
    return data


def check_table(data: bytes) -> None:
    """Refuse a table over the limits before any parser sees it: its size; for an xlsx the zip's
    central directory (members, unpacked size, ratio) and then each worksheet's ``<row>`` count; for
    a CSV its records, read as a stream that stops at the limit plus one."""
    uploads.check_size(len(data), "table")
    if data[:4] == b"PK\x03\x04":
        uploads.check_zip(data)
        rows = xlsx_row_count(data, stop_after=uploads.limits()["max_rows"] + 1)
    else:
        rows = csv_row_count(data, stop_after=uploads.limits()["max_rows"] + 1)
    check_rows(rows)


def check_rows(rows: int, *, what: str = "数据行数", unit: str = "行", counted: str = "（表头以外）") -> None:
    """``rows``: data rows counted (header not included), possibly stopped at the limit plus one;
    geodata passes its features (``what="要素数", unit="个", counted=""``)."""
    allowed = uploads.limits()["max_rows"]
    if rows > allowed:
        raise uploads.UploadLimitError(what, f"超过 {allowed:,} {unit}{counted}", f" {allowed:,} {unit}",
                                       "请拆分为多个文件分批导入")


def csv_row_count(data: bytes, *, stop_after: int) -> int:
    """Records after the first (header) line, counted up to ``stop_after``.

    Read through Latin-1, which maps each byte to one character: the delimiters, quotes and line
    ends of UTF-8 and GBK text are the same ASCII bytes, so the count is exact for both encodings.
    """
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="latin-1", newline=""))
    n = -1
    try:
        for _ in reader:
            n += 1
            if n >= stop_after:
                break
    except csv.Error:
        pass  # the reader reports a malformed file with its line number
    return max(n, 0)


ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")


def xlsx_row_count(data: bytes, *, stop_after: int) -> int:
    """The largest number of ``<row>`` elements in any worksheet of the xlsx, header not counted,
    streamed (constant memory) and stopped at ``stop_after``. A damaged file counts 0."""
    most = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                    continue
                with zf.open(info) as fh:
                    n = count_in_stream(fh, ROW_TAG, stop_after=stop_after)
                most = max(most, n - 1)
                if most >= stop_after:
                    break
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return 0
    return max(most, 0)

"""Shared pieces of every tabular import (Excel/CSV): limits, row errors and cell text.

One wording for every import in the system: ``第 3 行「项目编号」：格式不正确…`` — row, field,
reason, in Chinese.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
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


@dataclass
class CountedImportReport(RowErrorReport):
    """An import of rows that are created, updated or left unchanged: the counts, whether it was a dry run
    and whether it wrote; errors listed up to ``max_listed`` (``error_count`` says how many in all)."""

    source: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_count: int = 0
    dry_run: bool = False
    written: bool = False
    max_listed: int = field(default=1_000, repr=False, compare=False)

    def error(self, row: int, label: str, message: str) -> None:
        self.count_error(RowError(row, label, message))

    def count_error(self, err: RowError) -> None:
        """Count ``err`` and list it while fewer than ``max_listed`` are listed."""
        self.error_count += 1
        if len(self.errors) < self.max_listed:
            self.add_error(err)

    def counts_headline(self, what: str, *, unit: str = "行", trial: str = "试导入") -> str:
        """``what：发现 N 处错误…`` or ``what：导入完成，共 N 行：新增 a 行，更新 b 行，未变 c 行`` (no final 。)."""
        if not self.ok:
            more = f"（列出前 {len(self.errors)} 处）" if self.error_count > len(self.errors) else ""
            return f"{what}：发现 {self.error_count} 处错误{more}，未导入任何数据，请修改后重新导入"
        verb = f"校验通过（{trial}，未写入）" if self.dry_run else "导入完成"
        return (f"{what}：{verb}，共 {self.rows} 行：新增 {self.created} {unit}，更新 {self.updated} {unit}，"
                f"未变 {self.unchanged} {unit}")


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


def estimate_rows(path: Path) -> int | None:
    """Data rows in an import file, cheaply (the header line not counted): lines of a CSV, the declared
    dimension of an xlsx sheet (None when the sheet does not declare it). Pages send files above
    ``CITYRENEW_IMPORT_JOB_ROWS`` to a background job."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        with open(path, "rb") as fh:
            data = iter(lambda: fh.read(1 << 20), b"")
            lines, last = 0, b""
            for chunk in data:
                lines += chunk.count(b"\n")
                last = chunk
            return max(0, lines + (1 if last and not last.endswith(b"\n") else 0) - 1)
    try:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        try:
            rows = wb.worksheets[0].max_row
            return None if rows is None else max(0, rows - 1)
        finally:
            wb.close()
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError):
        return 0  # unreadable: the import itself reports why, quickly


# --- reading a table file row by row -------------------------------------------------------------


class TableFileError(ValueError):
    """The file as a whole cannot be read (missing, over the limits, encoding, damaged, empty): one
    :class:`RowError` (``row`` 0 unless a line is known)."""

    def __init__(self, field_label: str, message: str, row: int = 0) -> None:
        super().__init__(message)
        self.error = RowError(row, field_label, message)


@dataclass
class TableRows:  # 读入的表格
    name: str  # the file's name as the user knows it
    sha256: str
    header: list[str]  # the first row's cells as text
    header_row: int  # its row number in the file
    rows: list[tuple[int, list[str]]]  # (row number in the file, cells as text); blank rows left out


def decode_csv(data: bytes) -> str:
    """A CSV's text: UTF-8 (with or without BOM), else GB18030/GBK; else :class:`TableFileError`."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            line = data[: exc.start].count(b"\n") + 1
            raise TableFileError("文件编码", f"第 {line} 行附近有既不是 UTF-8 也不是 GBK 的字节；请将 CSV 另存为 UTF-8 编码后重新导入",
                                 row=line) from None
    if "\x00" in text:
        raise TableFileError("文件编码", "文件含有空字符，疑似 UTF-16 等不支持的编码；请将 CSV 另存为 UTF-8 或 GBK 编码后重新导入")
    return text


def xlsx_cell_text(v: Any) -> str:
    """An Excel cell as text: dates as ``2026-07-01``, booleans 是/否, a typed 12.0 as "12"."""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return cell_text(v)


def read_rows(file: Any, name: str = "") -> TableRows:
    """An uploaded table (path, file object or bytes; CSV in UTF-8/GBK or xlsx, first sheet) as text rows,
    after the shared limits (:func:`read_upload`). Raises :class:`TableFileError` in Chinese."""
    if isinstance(file, (str, os.PathLike)):
        if not Path(file).is_file():
            raise TableFileError("文件", f"文件不存在：{file}")
        name = name or Path(file).name
    else:
        name = name or getattr(file, "name", "") or ""
    try:
        data = read_upload(file)
    except uploads.UploadLimitError as exc:
        raise TableFileError("文件", exc.message) from None
    if not data.strip():
        raise TableFileError("文件", "文件为空")
    numbered: list[tuple[int, list[str]]] = []
    if data[:4] == b"PK\x03\x04":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 — openpyxl raises many kinds of errors on damaged files
            raise TableFileError("文件", f"Excel 文件已损坏或不完整，无法读取（{type(exc).__name__}）；请重新保存后再导入") from None
        try:
            for no, values in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1):
                numbered.append((no, [xlsx_cell_text(v) for v in values]))
        finally:
            wb.close()
    else:
        reader = csv.reader(io.StringIO(decode_csv(data), newline=""))
        start = 1
        try:
            for values in reader:
                numbered.append((start, [cell_text(v) for v in values]))
                start = reader.line_num + 1
        except csv.Error as exc:
            raise TableFileError("文件", f"CSV 格式错误（第 {reader.line_num} 行）：{exc}", row=reader.line_num) from None
    numbered = [(no, cells) for no, cells in numbered if any(cells)]
    if not numbered:
        raise TableFileError("文件", "文件为空")
    (header_row, header), body = numbered[0], numbered[1:]
    return TableRows(name=name, sha256=hashlib.sha256(data).hexdigest(), header=header, header_row=header_row, rows=body)

"""Helpers for writing Excel (xlsx) and CSV files, shared by every export.

**Formula injection (公式注入).** Every text cell of every export goes through :func:`formula_like`:
a text that Excel or WPS would read as a formula or a DDE call (it starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return, OWASP "CSV Injection") is written as a *string* cell with Excel's
quote prefix (as if the user had typed ``'`` before it), so a project named ``=HYPERLINK(…)`` is shown
as text and stays text when the cell is edited; its value is unchanged, so exports re-import as
they are. CSV has no cell types, so :func:`csv_safe` puts the apostrophe into the value itself.

Two writers:

* openpyxl (:func:`put`, :func:`write_table`) for small workbooks and templates that are read back;
* :class:`XlsxBook` (XlsxWriter) for large exports: the 100,000-project official layout in a few
  seconds instead of a minute. It has ``save(path_or_file)`` like openpyxl's ``Workbook``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

import xlsxwriter
from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
HEADER_FONT = Font(name="宋体", bold=True)
BODY_FONT = Font(name="宋体")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# OWASP "CSV Injection": the characters a spreadsheet reads as the start of a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: Any) -> bool:
    """True for a text that a spreadsheet would evaluate (``=1+1``, ``+cmd|…``, ``@SUM(…)``, ``-2+3``)."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def csv_safe(value: Any) -> Any:
    """A CSV field that no spreadsheet evaluates: formula-like text gets a leading apostrophe."""
    return "'" + value if formula_like(value) else value


def put(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Set an openpyxl cell; formula-like text becomes a string cell with the quote prefix."""
    c = ws.cell(row=row, column=column)
    c.value = value
    if formula_like(value):
        c.data_type = "s"  # openpyxl would store "=…" as a formula
        c.quotePrefix = True
    return c


def neutralise(ws: Worksheet) -> None:
    """Turn every formula-like text of a worksheet filled by other code into text (templates)."""
    for row in ws.iter_rows():
        for c in row:
            if formula_like(c.value):
                c.data_type = "s"
                c.quotePrefix = True


def write_table(
    ws: Worksheet,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    start_row: int = 1,
    widths: Sequence[int] | None = None,
) -> int:
    """Write a header row and body rows with borders; returns the next free row number."""
    for col, h in enumerate(headers, start=1):
        c = put(ws, start_row, col, h)
        c.font, c.fill, c.border = HEADER_FONT, HEADER_FILL, BORDER
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    r = start_row + 1
    for row in rows:
        for col, v in enumerate(row, start=1):
            c = put(ws, r, col, v)
            c.font, c.border = BODY_FONT, BORDER
            c.alignment = Alignment(vertical="center", wrap_text=isinstance(v, str) and len(v) > 20)
        r += 1
    for col, w in enumerate(widths or [], start=1):
        ws.column_dimensions[get_column_letter(col)].width = w
    ws.freeze_panes = ws.cell(row=start_row + 1, column=1)
    return r


def dropdown(ws: Worksheet, options: Worksheet, column: int, values: Sequence[str], *, header: str,
             rows: int = 5000, first_row: int = 2) -> None:
    """An import template's drop-down list (Excel data validation) on ``column`` of ``ws`` for ``rows``
    rows: the ``values`` are written to the same column of the (hidden) ``options`` sheet and the list
    refers to them, so lists longer than Excel's 255-character inline limit work and WPS shows them too.
    A value typed outside the list is refused with a Chinese message naming the column."""
    from openpyxl.worksheet.datavalidation import DataValidation

    letter = get_column_letter(column)
    for i, v in enumerate(values, start=1):
        put(options, i, column, v)
    dv = DataValidation(type="list", formula1=f"='{options.title}'!${letter}$1:${letter}${max(len(values), 1)}",
                        allow_blank=True, showErrorMessage=True, errorTitle="输入有误",
                        error=f"「{header}」请从下拉列表中选择")
    dv.add(f"{letter}{first_row}:{letter}{first_row + rows - 1}")
    ws.add_data_validation(dv)


# --- XlsxWriter: large exports ------------------------------------------------------------------

BASE_FORMAT = {"font_name": "宋体", "valign": "vcenter"}
CELL_FORMAT = {**BASE_FORMAT, "border": 1, "border_color": "#999999"}
HEADER_FORMAT = {**CELL_FORMAT, "bold": True, "bg_color": "#DDE6F0", "align": "center", "text_wrap": True}


class XlsxBook:
    """An XlsxWriter workbook built in memory, saved like openpyxl's ``Workbook.save(path_or_file)``.

    Text goes through :meth:`write`, which never writes a formula (XlsxWriter's own ``write`` would
    turn ``"=…"`` into one; this book disables that and adds the quote prefix).
    """

    def __init__(self) -> None:
        self._buf = io.BytesIO()
        self.book = xlsxwriter.Workbook(self._buf, {
            "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
        })
        self._formats: dict[tuple, Any] = {}
        self._by_id: dict[int, tuple[dict[str, Any], Any]] = {}
        self._data: bytes | None = None

    def add_sheet(self, name: str):
        return self.book.add_worksheet(name)

    def fmt(self, **props: Any):
        """A cached cell format (XlsxWriter wants one object per distinct format)."""
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.book.add_format(props)
        return self._formats[key]

    def _fmt_of(self, props: dict[str, Any]):
        """The format of a props dict, looked up by identity (a write per cell must be cheap)."""
        hit = self._by_id.get(id(props))
        if hit is None or hit[0] is not props:
            hit = self._by_id[id(props)] = (props, self.fmt(**props))
        return hit[1]

    def _text_format(self, props: dict[str, Any], value: str):
        return self.fmt(**props, quote_prefix=True) if formula_like(value) else self._fmt_of(props)

    def write(self, ws, row: int, col: int, value: Any, props: dict[str, Any]) -> None:
        """Write one cell (0-based row/col) with the format ``props``; text is always a string cell."""
        if isinstance(value, str):
            if value:
                ws.write_string(row, col, value, self._text_format(props, value))
            else:
                ws.write_blank(row, col, None, self._fmt_of(props))
        elif value is None:
            ws.write_blank(row, col, None, self._fmt_of(props))
        elif isinstance(value, bool):
            ws.write_boolean(row, col, value, self._fmt_of(props))
        elif isinstance(value, (int, float)):
            ws.write_number(row, col, value, self._fmt_of(props))
        elif isinstance(value, Decimal):
            ws.write_number(row, col, float(value), self._fmt_of(props))
        else:
            text = str(value)
            ws.write_string(row, col, text, self._text_format(props, text))

    def merge(self, ws, first_row: int, first_col: int, last_row: int, last_col: int, value: Any, props: dict[str, Any]) -> None:
        """A merged range (0-based); a single cell is simply written."""
        if (first_row, first_col) == (last_row, last_col):
            self.write(ws, first_row, first_col, value, props)
            return
        if isinstance(value, Decimal):
            value = float(value)
        fmt = self._text_format(props, value) if isinstance(value, str) else self._fmt_of(props)
        ws.merge_range(first_row, first_col, last_row, last_col, value, fmt)  # text stays text: strings_to_formulas off

    def table(self, ws, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, widths: Sequence[int] = (),
              col_formats: dict[int, dict[str, Any]] | None = None) -> int:
        """Header row and body rows with borders (the XlsxWriter twin of :func:`write_table`); returns the row count."""
        for c, h in enumerate(headers):
            self.write(ws, 0, c, h, HEADER_FORMAT)
        col_formats = col_formats or {}
        r = 1
        for row in rows:
            for c, v in enumerate(row):
                self.write(ws, r, c, v, col_formats.get(c, CELL_FORMAT))
            r += 1
        for c, w in enumerate(widths):
            ws.set_column(c, c, w)
        ws.freeze_panes(1, 0)
        return r

    def getvalue(self) -> bytes:
        if self._data is None:
            self.book.close()
            self._data = self._buf.getvalue()
            self._buf = io.BytesIO()
        return self._data

    def save(self, target: str | os.PathLike | BinaryIO) -> None:
        data = self.getvalue()
        if isinstance(target, (str, os.PathLike)):
            Path(target).write_bytes(data)
        else:
            target.write(data)


def workbook_bytes(wb: Workbook | XlsxBook) -> bytes:
    if isinstance(wb, XlsxBook):
        return wb.getvalue()
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def save_atomic(wb: Workbook | XlsxBook, path: str | os.PathLike) -> Path:
    """Write the workbook to ``path`` through a temporary file and a rename: never a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(workbook_bytes(wb))
    os.replace(tmp, path)
    return path


def attachment_header(filename: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(filename)}"


def xlsx_response(wb: Workbook | XlsxBook, filename: str) -> HttpResponse:
    resp = HttpResponse(workbook_bytes(wb), content_type=XLSX_MIME)
    resp["Content-Disposition"] = attachment_header(filename)
    return resp

"""Small helpers for writing Excel (xlsx) files with openpyxl, shared by every export."""

from __future__ import annotations

import io
from typing import Any, Iterable, Sequence
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
HEADER_FONT = Font(name="宋体", bold=True)
BODY_FONT = Font(name="宋体")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
        c = ws.cell(row=start_row, column=col, value=h)
        c.font, c.fill, c.border = HEADER_FONT, HEADER_FILL, BORDER
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    r = start_row + 1
    for row in rows:
        for col, v in enumerate(row, start=1):
            c = ws.cell(row=r, column=col, value=v)
            c.font, c.border = BODY_FONT, BORDER
            c.alignment = Alignment(vertical="center", wrap_text=isinstance(v, str) and len(v) > 20)
        r += 1
    for col, w in enumerate(widths or [], start=1):
        ws.column_dimensions[get_column_letter(col)].width = w
    ws.freeze_panes = ws.cell(row=start_row + 1, column=1)
    return r


def workbook_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_response(wb: Workbook, filename: str) -> HttpResponse:
    resp = HttpResponse(workbook_bytes(wb), content_type=XLSX_MIME)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return resp

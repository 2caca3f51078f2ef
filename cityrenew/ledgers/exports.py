"""Excel export of a ledger (台账导出) in its import template's columns, so an export re-imports as is.

Written with :class:`cityrenew.core.xlsx.XlsxBook` (XlsxWriter): every text cell is a string cell and
formula-like text (``=…``, ``+…``, ``@…``) gets the quote prefix (OWASP CSV injection), never a formula.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from django.db import models

from cityrenew.core.xlsx import XlsxBook

from .choices import LedgerKind
from .columns import BOOL, CHOICE, COLUMNS, FILE_ONLY, ITEMS
from .frame import ledger_frame
from .templates import SHEET_TITLES


def _cell(value, col):
    if value is None or (not isinstance(value, (list, str)) and pd.isna(value)):
        return ""
    if col.type == BOOL:
        return "是" if value else "否"
    if col.type == CHOICE:
        return str(dict(col.choices.choices).get(value, value))
    if col.type == ITEMS:
        return "、".join(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    return value


def ledger_workbook(kind: str, queryset: models.QuerySet | None = None) -> XlsxBook:
    """The rows (default: the whole ledger) with the template's Chinese headers; lon/lat of point locations."""
    frame = ledger_frame(kind, queryset)
    cols = COLUMNS[kind]
    points: dict[int, tuple[float, float]] = {}
    if len(frame):
        model = queryset.model if queryset is not None else None
        from .models import LEDGER_MODELS

        model = model or LEDGER_MODELS[kind]
        for pk, loc in model.objects.filter(pk__in=list(frame["id"])).exclude(location=None).values_list("pk", "location"):
            if loc.geom_type == "Point":
                points[pk] = (round(loc.x, 7), round(loc.y, 7))
    rows = []
    for rec in frame.to_dict("records"):
        row = []
        for col in cols:
            if col.name in FILE_ONLY:
                pt = points.get(rec["id"])
                row.append(pt[0 if col.name == "lon" else 1] if pt else "")
            else:
                row.append(_cell(rec.get(col.name), col))
        rows.append(row)
    book = XlsxBook()
    ws = book.add_sheet(SHEET_TITLES[kind])
    book.table(ws, [c.header for c in cols], rows)
    return book


def export_filename(kind: str) -> str:
    return f"{dict(LedgerKind.choices)[kind]}台账.xlsx"

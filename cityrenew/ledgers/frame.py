"""A ledger as a pandas DataFrame with the canonical columns, for the renewal rules' evaluator.

    frame = ledger_frame("equipment")                      # the whole ledger
    frame = ledger_frame("equipment", Equipment.objects.filter(region__in=...))

Read with ``values_list`` (no model instances): a million rows in seconds. Columns are those of
:mod:`cityrenew.ledgers.columns` (``region`` is the region's display name, ``region_id`` its id;
``id`` the row's primary key). Dates are ``datetime64``,
decimals ``float64`` (NaN when empty), booleans ``object`` (True/False/None for unknown).
"""

from __future__ import annotations

import pandas as pd
from django.db import models

from cityrenew.core.models import Region

from .columns import BOOL, COLUMNS, DATE, DECIMAL, FILE_ONLY, INT, PERCENT, REGION, YEAR
from .models import LEDGER_MODELS

CHUNK = 100_000


def ledger_frame(kind: str, queryset: models.QuerySet | None = None) -> pd.DataFrame:
    """The rows of ledger ``kind`` (or of ``queryset``) with canonical columns, ordered by ``code``."""
    if kind not in COLUMNS:
        raise ValueError(f"未知的台账类型“{kind}”，应为：{'、'.join(COLUMNS)}")
    model = LEDGER_MODELS[kind]
    qs = model.objects.all() if queryset is None else queryset
    cols = [c for c in COLUMNS[kind] if c.name not in FILE_ONLY]
    fields = ["id"] + [("region_id" if c.type == REGION else c.name) for c in cols]
    names = ["id"] + [("region_id" if c.type == REGION else c.name) for c in cols]
    rows = list(qs.order_by("code").values_list(*fields).iterator(chunk_size=CHUNK))
    frame = pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame({n: pd.Series(dtype=object) for n in names})
    regions = dict((pk, short or name) for pk, short, name in Region.objects.values_list("pk", "short_name", "name"))
    frame["region"] = frame["region_id"].map(regions)
    for c in cols:
        if c.type in (DECIMAL, PERCENT):
            frame[c.name] = pd.to_numeric(frame[c.name], errors="coerce").astype("float64")
        elif c.type in (INT, YEAR):
            frame[c.name] = pd.to_numeric(frame[c.name], errors="coerce").astype("Int64")
        elif c.type == DATE:
            frame[c.name] = pd.to_datetime(frame[c.name], errors="coerce")
        elif c.type == BOOL:
            frame[c.name] = frame[c.name].astype(object).where(frame[c.name].notna(), None)
    order = ["id", "code"] + [c.name for c in cols if c.name != "code"] + ["region_id"]
    extra = [c for c in frame.columns if c not in order]
    return frame[order + extra].reset_index(drop=True)

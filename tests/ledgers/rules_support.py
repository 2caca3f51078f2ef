"""Helpers for the renewal-rule tests: ledger rows written as a clerk writes them (Chinese headers, 是/否)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from cityrenew.ledgers.rules import COLUMNS, evaluate, to_canonical


def ledger(kind: str, rows: list[dict[str, object]]) -> pd.DataFrame:
    """A typed canonical frame from rows keyed by Chinese header, through the real header/value parser.

    Required columns a row leaves out are empty cells; an optional column appears only when a row uses it.
    """
    headers = [c.header for c in COLUMNS[kind] if c.required]
    for r in rows:
        headers += [h for h in r if h not in headers]
    raw = pd.DataFrame([{h: r.get(h, "") for h in headers} for r in rows], columns=headers, dtype=object)
    return to_canonical(raw, kind, today=date(2030, 1, 1))


def verdict_of(kind: str, province: str, as_of: date, row: dict[str, object], config=None) -> tuple[str, list[str]]:
    """(verdict, fired rule ids) of one row."""
    row = {"编号": "T1", **row}
    result = evaluate(ledger(kind, [row]), kind, province, as_of, config)
    return str(result.verdicts["verdict"].iloc[0]), list(result.verdicts["rules"].iloc[0])

"""What changes a target table besides plain edits: targets by year, filing (盖章备案), actual values, evidence.

Each function validates everything first and writes in one transaction; a refusal is a ``ValidationError`` with a
Chinese message and nothing is written.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cityrenew.core.uploads import validate_attachment

from .choices import TableState
from .models import Evidence, Indicator, Period, TargetTable


def missing_targets(table: TargetTable) -> list[str]:
    """Why ``table`` cannot be filed yet: no indicator, or an indicator without a target for one of its years."""
    indicators = list(table.indicators().prefetch_related("periods").select_related("result"))
    if not indicators:
        return ["目标表还没有任何绩效指标"]
    out = []
    for ind in indicators:
        have = {p.year for p in ind.periods.all() if p.target is not None}
        lacking = [str(y) for y in table.years() if y not in have]
        if lacking:
            out.append(f"指标“{ind.name}”缺少 {'、'.join(lacking)} 年度的目标值")
    return out


def set_targets(indicator: Indicator, baseline: Decimal | None, targets: dict[int, Decimal | None]) -> None:
    """The indicator's baseline (the same for every year) and target per year, one period per year of its table."""
    table = indicator.result.table
    with transaction.atomic():
        for year in table.years():
            period = Period.objects.filter(indicator=indicator, year=year).first() or Period(indicator=indicator, year=year)
            period.baseline = baseline
            period.target = targets.get(year)
            if period.pk is None or period.audit_diff():
                period.full_clean()
                period.save()


def file_table(table: TargetTable, user: Any, scan: Any) -> TargetTable:
    """Seal ``table``: the scan of the document stamped by the city government attached, targets then read-only."""
    if table.is_filed:
        raise ValidationError(f"绩效目标表“{table}”已盖章备案，不能重复备案")
    problems = missing_targets(table)
    if scan is None:
        problems.append("请上传加盖城市人民政府公章的目标表扫描件")
    else:
        try:
            validate_attachment(scan)
        except ValidationError as exc:
            problems.extend(exc.messages)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        table.sealed_scan = scan
        table.state = TableState.FILED
        table.filed_at = timezone.now()
        table.filed_by = user if getattr(user, "is_authenticated", False) else None
        table.save()
    return table


def record_actual(period: Period, actual: Decimal | None, note: str, user: Any,
                  evidence: Any = None, evidence_note: str = "") -> Period:
    """The actual value of one indicator in one year (of a filed table), with an optional evidence file."""
    table = period.target_table()
    if not table.is_filed:
        raise ValidationError(f"绩效目标表“{table}”尚未盖章备案：请先备案目标，再填报实际值")
    if actual is not None and actual < 0:
        raise ValidationError({"actual": "实际值不能为负数"})
    if evidence is not None:
        validate_attachment(evidence)
    with transaction.atomic():
        period.actual = actual
        period.actual_note = note
        period.actual_by = user if getattr(user, "is_authenticated", False) else None
        period.actual_at = timezone.now()
        period.save()
        if evidence is not None:
            add_evidence(user, evidence, evidence_note, period=period)
    return period


def add_evidence(user: Any, upload: Any, description: str = "", **owner: Any) -> Evidence:
    validate_attachment(upload)
    ev = Evidence(file=upload, description=description, uploaded_by=user if getattr(user, "is_authenticated", False) else None,
                  **owner)
    ev.save()
    return ev

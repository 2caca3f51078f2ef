"""Evaluation (体检评价): each indicator's city value against its standard and last year's check-up,
and the hook that brings the spatial engine's results in as values."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..catalogue import SET_2025, mapped_pairs
from ..choices import Comparator, Computation, Direction, Relation, Trend, ValueSource, Verdict
from ..models import CheckupRun, Evaluation, Indicator, IndicatorSet, IndicatorValue, value_as_text
from .problems import completion_rate, problem_count
from .runs import _ensure_actor, check_value

# Spatial engine result codes (cityrenew/catalogue/spatial_rules.csv, ``checkup_values`` of the
# engine's summary.json) that *are* an indicator's value. Other rows of the rule table are supporting
# checks: I10–I13 give a coverage share (%) for indicators counted in 个; I43 covers only the home end
# of the commute; I25_PARK_500 is the second half of 指标25 (I25_GREEN_300 counts parks as green space).
ENGINE_VALUE_CODES = {
    "I22_MIDDLE_1000": 22,  # 中学服务半径覆盖率
    "I25_GREEN_300": 25,  # 公园绿化活动场地服务半径覆盖率（300米见绿，公园亦计入）
    "I35_ROAD_DENSITY": 35,  # 城市道路网密度
    "I32_GREENWAY_1000": 32,  # 绿道服务半径覆盖率（绿道两侧1公里）
    "I33_FOOTBALL": 33,  # 足球场地服务半径覆盖率（按场地规模的服务半径）
    "I53_FIRE_5MIN": 53,  # 城市消防站服务半径覆盖率（按道路等级车速的行车时间）
}
ENGINE_SUPPORTING = {
    "I10_ELDERLY_300": "辅助空间校核（指标10按小区个数统计，覆盖率不是指标值）",
    "I11_CHILDCARE_300": "辅助空间校核（指标11按小区个数统计）",
    "I12_KINDERGARTEN_300": "辅助空间校核（指标12按小区个数统计）",
    "I13_PRIMARY_500": "辅助空间校核（指标13为学位缺口数）",
    "I43_RAIL_800": "居住端800米覆盖；通勤比例需起讫点均在站点周边的出行数据",
    "I43_RAIL_800_JOBS": "就业端800米覆盖；通勤比例需起讫点均在站点周边的出行数据",
    "I25_PARK_500": "500米见园为指标25的补充口径，指标值取300米见绿",
}


def city_value(run: CheckupRun, indicator: Indicator) -> Decimal | None:
    """The indicator's value for the whole city in ``run``.

    Problem counts come from field-problem records, 问题整治完成率 from last year's problems; a
    per-unit indicator is the sum of its unit values (or its city value if one was given).
    """
    if indicator.computation == Computation.PROBLEMS:
        return Decimal(problem_count(run, indicator))
    if indicator.computation == Computation.COMPLETION:
        return completion_rate(run)[0]
    city = IndicatorValue.objects.filter(run=run, indicator=indicator, unit__isnull=True).first()
    if city is not None:
        return city.value
    if indicator.report_level:
        vals = list(IndicatorValue.objects.filter(run=run, indicator=indicator, unit__isnull=False).values_list("value", flat=True))
        if vals:
            return sum(vals, Decimal(0))
    return None


def verdict_of(indicator: Indicator, value: Decimal | None) -> str:
    if value is None:
        return Verdict.MISSING
    if indicator.threshold is None or not indicator.comparator:
        return Verdict.NO_STANDARD
    ok = value >= indicator.threshold if indicator.comparator == Comparator.GE else value <= indicator.threshold
    return Verdict.PASS if ok else Verdict.FAIL


def trend_of(indicator: Indicator, value: Decimal | None, previous: Decimal | None) -> str:
    if value is None or previous is None:
        return Trend.NOT_COMPARABLE
    if value == previous:
        return Trend.SAME
    better = value > previous if indicator.direction == Direction.HIGHER_BETTER else value < previous
    return Trend.BETTER if better else Trend.WORSE


def _previous_counterparts(run: CheckupRun) -> tuple[CheckupRun | None, dict[int, tuple[Indicator | None, str]]]:
    """For each indicator of ``run``: last year's comparable indicator, or None with the reason."""
    prev = run.previous_run()
    if prev is None:
        return None, {}
    out: dict[int, tuple[Indicator | None, str]] = {}
    if prev.indicator_set_id == run.indicator_set_id:
        for ind in run.indicator_set.indicators.all():
            out[ind.pk] = (ind, "")
        return prev, out
    pairs = mapped_pairs(prev.indicator_set, run.indicator_set)
    for ind in run.indicator_set.indicators.all():
        m = pairs.get(ind.pk)
        if m is None or m.relation in (Relation.NEW, Relation.DROPPED) or m.from_indicator is None:
            out[ind.pk] = (None, "上年无对应指标")
        elif m.relation == Relation.REPLACED:
            out[ind.pk] = (None, f"上年为“{m.from_indicator.name}”，口径不同")
        elif not m.comparable:
            out[ind.pk] = (None, m.note or "上年口径不同")
        else:
            out[ind.pk] = (m.from_indicator, "")
    return prev, out


# Note prefix of a value computed from a ledger (cityrenew.ledgertasks.services.attach_gas_indicator).
LEDGER_VALUE_NOTE = "由设施设备台账计算"


@transaction.atomic
def refresh_computed_values(run: CheckupRun) -> None:
    """Write the values the system computes (problem counts, 问题整治完成率) as IndicatorValues."""
    for ind in run.indicator_set.indicators.filter(retired=False).exclude(computation=Computation.REPORTED):
        value = city_value(run, ind)
        row = IndicatorValue.objects.filter(run=run, indicator=ind, unit__isnull=True).first()
        if row is not None and row.source == ValueSource.COMPUTED and row.note.startswith(LEDGER_VALUE_NOTE):
            continue  # computed from a ledger (cityrenew.ledgertasks: 指标2 from the equipment ledger) — that value stands
        if value is None:
            if row is not None and row.source == ValueSource.COMPUTED:
                row.delete()
            continue
        if ind.computation == Computation.COMPLETION:
            _, fixed, total = completion_rate(run)
            note = f"上年问题{total}个，已整治{fixed}个"
        else:
            note = "由现场问题记录计算"
        if row is None:
            IndicatorValue(run=run, indicator=ind, unit=None, value=value, note=note, source=ValueSource.COMPUTED).save()
        else:
            row.value, row.note, row.source = value, note, ValueSource.COMPUTED
            if row.audit_diff():
                row.save()


@transaction.atomic
def evaluate_run(run: CheckupRun, user: Any = None) -> list[Evaluation]:
    """Evaluate every indicator of ``run``: value, standard, verdict, trend against last year, warning."""
    with _ensure_actor(user, "system"):
        refresh_computed_values(run)
        prev, counterparts = _previous_counterparts(run)
        existing = {e.indicator_id: e for e in Evaluation.objects.filter(run=run)}
        out = []
        for ind in run.indicator_set.indicators.filter(retired=False).order_by("number"):
            value = city_value(run, ind)
            verdict = verdict_of(ind, value)
            prev_value = None
            if prev is None:
                trend, why = Trend.NOT_COMPARABLE, "无上年体检"
            else:
                prev_ind, why = counterparts.get(ind.pk, (None, "上年无对应指标"))
                if prev_ind is not None:
                    prev_value = city_value(prev, prev_ind)
                    if prev_value is None:
                        why = "上年无数据"
                trend = trend_of(ind, value, prev_value)
            warnings = []
            if verdict == Verdict.MISSING:
                warnings.append("缺少数据")
            elif verdict == Verdict.FAIL:
                warnings.append(f"未达标：{value_as_text(value)}{ind.unit}，标准{ind.standard_display()}")
            if trend == Trend.WORSE:
                warnings.append(f"较上年恶化（上年{value_as_text(prev_value)}{ind.unit}）")
            elif trend == Trend.NOT_COMPARABLE and prev is not None and value is not None and why:
                pass  # not a warning; the reason is kept in the trend column's tooltip by pages
            standard = ind.standard_display() or (ind.threshold_note and "无数值标准") or ""
            fields = dict(value=value, standard=standard[:300], verdict=verdict, previous_value=prev_value,
                          trend=trend, warning="；".join(warnings)[:300])
            ev = existing.pop(ind.pk, None)
            if ev is None:
                ev = Evaluation(run=run, indicator=ind, **fields)
                ev.save()
            else:
                for k, v in fields.items():
                    setattr(ev, k, v)
                if ev.audit_diff():
                    ev.save()
            out.append(ev)
        for stale in existing.values():
            stale.delete()
        run.evaluated_at = timezone.now()
        run.save()
    return out


def _load_summary(summary_json: Any) -> dict[str, Any]:
    if isinstance(summary_json, dict):
        return summary_json
    if isinstance(summary_json, (str, Path)) and Path(str(summary_json)).suffix == ".json" and Path(str(summary_json)).is_file():
        return json.loads(Path(summary_json).read_text(encoding="utf-8"))
    return json.loads(summary_json)


def _target_indicator(run: CheckupRun, number_2025: int) -> Indicator | None:
    """The run's indicator that corresponds to MOHURD-2025 indicator ``number_2025`` (by name)."""
    base = IndicatorSet.objects.filter(code=SET_2025).first()
    ref = base.indicators.filter(number=number_2025).first() if base else None
    qs = run.indicator_set.indicators.filter(retired=False)
    if ref is not None:
        return qs.filter(name=ref.name).first()
    return qs.filter(number=number_2025).first()


@transaction.atomic
def attach_engine_results(run: CheckupRun, summary_json: Any, user: Any = None) -> dict[str, Any]:
    """Bring the spatial engine's results (``summary.json``) in as IndicatorValues with source=spatial.

    Only codes in :data:`ENGINE_VALUE_CODES` become values; supporting checks are listed as skipped
    with their reason. A value a department already reported is kept (listed as skipped).
    """
    summary = _load_summary(summary_json)
    attached, skipped = [], []
    with _ensure_actor(user, "system"):
        for entry in summary.get("checkup_values", []):
            code = entry.get("code", "")
            if code not in ENGINE_VALUE_CODES:
                skipped.append({"code": code, "reason": ENGINE_SUPPORTING.get(code, "不是登记的指标取值结果")})
                continue
            ind = _target_indicator(run, ENGINE_VALUE_CODES[code])
            if ind is None:
                skipped.append({"code": code, "reason": f"本次体检的指标体系中没有指标{ENGINE_VALUE_CODES[code]}"})
                continue
            if entry.get("value") is None:
                skipped.append({"code": code, "reason": "空间计算未得出数值"})
                continue
            if (entry.get("unit") or ind.unit) != ind.unit:
                skipped.append({"code": code, "reason": f"计量单位“{entry.get('unit')}”与指标单位“{ind.unit}”不符"})
                continue
            value, err = check_value(ind, entry["value"])
            if err:
                skipped.append({"code": code, "reason": err})
                continue
            row = IndicatorValue.objects.filter(run=run, indicator=ind, unit__isnull=True).first()
            note = f"空间计算 {code}（{entry.get('basis', '')}）"[:300]
            if row is not None and row.source == ValueSource.REPORTED:
                skipped.append({"code": code, "reason": f"{ind.label}已有部门填报值{value_as_text(row.value)}，未覆盖"})
                continue
            task = ind.tasks.filter(run=run).first()
            if row is None:
                IndicatorValue(run=run, indicator=ind, unit=None, task=task, value=value, note=note,
                               source=ValueSource.SPATIAL, entered_by=user).save()
            else:
                row.value, row.note, row.source = value, note, ValueSource.SPATIAL
                if row.audit_diff():
                    row.save()
            attached.append({"code": code, "number": ind.number, "name": ind.name, "value": value_as_text(value)})
    return {"attached": attached, "skipped": skipped}

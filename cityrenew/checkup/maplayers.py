"""Map layers of the city check-up (城市体检): assessment units, field problems and unit-level indicator values.

Each layer reads one run: ``?run=<id>`` or the latest run (as the dashboard does). A department user
(部门填报员) sees the values of its own tasks' indicators only (``services.visible_indicators``), as on
the run's pages.

* 体检单元 (``checkup-units``): the model holds no verdict per unit (evaluation is per indicator, city-wide),
  so a unit is coloured by the check-up's finding on it — the worst severity of its open field problems
  in the run (问题清单) — and by its kind when it has none.
* 现场问题 (``checkup-problems``): by severity (一般 / 较严重 / 严重), the colours of the problem pages.
* 指标单元值 (``checkup-values``): one indicator's value per unit in the run (``?indicator=<id>``; by default
  the first indicator with unit values): values reported per unit and the spatial engine's coverage
  results written per unit (source 空间计算). A percentage indicator with a standard gets a verdict per
  unit against that standard (达标 / 未达标).
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from cityrenew.map.features import RecordURL, choice_label
from cityrenew.map.filters import (
    choice_filter,
    choice_options,
    district_ids,
    district_options,
    int_value,
)
from cityrenew.map.registry import GEOJSON, Layer, register

from . import services
from .catalogue import PROBLEM_COUNT_SOURCE, SETS_SOURCE
from .choices import (
    SEVERITY_SOURCE,
    Comparator,
    ProblemStatus,
    Severity,
    UnitKind,
    ValueSource,
    Verdict,
)
from .models import AssessmentUnit, CheckupRun, FieldProblem, Indicator, IndicatorValue
from .views.common import SEVERITY_COLOURS, VERDICT_COLOURS

KIND_COLOURS = {
    UnitKind.BUILDING: "#8f9bb3",
    UnitKind.COMPOUND: "#4c8bf5",
    UnitKind.COMMUNITY: "#2b9a8a",
    UnitKind.BLOCK: "#7a5cc4",
    UnitKind.DISTRICT: "#5b7083",
}
SEVERITY_RANK = {Severity.GENERAL: 1, Severity.SERIOUS: 2, Severity.SEVERE: 3}
OPEN = (ProblemStatus.OPEN, ProblemStatus.IN_PROGRESS)


def latest_run() -> CheckupRun | None:
    return CheckupRun.objects.select_related("city", "indicator_set").order_by("-year", "city__code").first()


def run_of(request: Any) -> CheckupRun | None:
    """The run of ``?run=`` (``ValueError`` when it does not exist) or the latest run."""
    value = (request.GET.get("run") or "").strip()
    if not value:
        return latest_run()
    run = CheckupRun.objects.select_related("city", "indicator_set").filter(pk=int_value(value, "run")).first()
    if run is None:
        raise ValueError(f"筛选条件「体检」：体检 {value} 不存在")
    return run


def run_options(request: Any) -> list[tuple[str, str]]:
    return [(str(r.pk), f"{r.city.display_name}{r.year}年城市体检")
            for r in CheckupRun.objects.select_related("city").order_by("-year", "city__code")]


def the_run(qs: QuerySet, value: str) -> QuerySet:
    """The ``run`` filter: the layer's queryset already read it (its annotations are for that run)."""
    return qs


def units_in_district(qs: QuerySet, value: str) -> QuerySet:
    return qs.filter(region_id__in=district_ids(value))


# --- 体检单元 -------------------------------------------------------------------------------------


def units(request: Any) -> QuerySet[AssessmentUnit]:
    run = run_of(request)
    if run is None:
        return AssessmentUnit.objects.none()
    open_problems = FieldProblem.objects.filter(run=run, unit=OuterRef("pk"), status__in=OPEN)
    worst = Case(*[When(Exists(open_problems.filter(severity=s)), then=Value(str(s)))
                   for s in sorted(SEVERITY_RANK, key=SEVERITY_RANK.get, reverse=True)],
                 default=F("kind"), output_field=CharField())
    n_open = open_problems.order_by().values("unit").annotate(n=Count("pk")).values("n")
    return AssessmentUnit.objects.filter(city=run.city).annotate(
        evaluation=worst,
        open_problems=Coalesce(Subquery(n_open), Value(0)),
    )


EVALUATION_LABELS = {str(s): f"有{label}问题" for s, label in Severity.choices}

register(Layer(
    name="checkup-units",
    title="体检单元",
    group="城市体检",
    kind=GEOJSON,
    queryset=units,
    geom_field="geometry",
    geometry="mixed",
    properties={
        "code": "code",
        "name": "name",
        "kind": "kind",
        "kind_label": choice_label("kind", UnitKind.choices),
        "evaluation": "evaluation",
        "evaluation_label": Case(*[When(evaluation=k, then=Value(v)) for k, v in EVALUATION_LABELS.items()],
                                 default=Value("无待整治问题"), output_field=CharField()),
        "open_problems": "open_problems",
        "url": RecordURL("checkup:unit_detail"),
    },
    popup=[("name", "名称"), ("code", "编码"), ("kind_label", "类型"), ("evaluation_label", "体检发现"),
           ("open_problems", "待整治问题数")],
    filters={"run": the_run, "district": units_in_district,
             "category": choice_filter("kind", "category", UnitKind.choices)},
    filter_options={"run": run_options, "district": district_options, "category": choice_options(UnitKind.choices)},
    search=("code", "name"),
    style={"colour_by": "evaluation",
           "colours": {**{str(k): v for k, v in SEVERITY_COLOURS.items()}, **{str(k): v for k, v in KIND_COLOURS.items()}},
           "colour": "#8f9bb3", "fill_opacity": 0.35},
    legend=[*({"label": EVALUATION_LABELS[str(s)], "colour": SEVERITY_COLOURS[s]} for s in reversed(Severity)),
            *({"label": f"{label}（无待整治问题）", "colour": KIND_COLOURS[UnitKind(k)]} for k, label in UnitKind.choices)],
    citation=str(PROBLEM_COUNT_SOURCE),
    order=30,
))


# --- 现场问题 -------------------------------------------------------------------------------------


def problems(request: Any) -> QuerySet[FieldProblem]:
    run = run_of(request)
    if run is None:
        return FieldProblem.objects.none()
    return FieldProblem.objects.filter(run=run).annotate(
        indicator_label=F("indicator__name"), unit_name=F("unit__name"),
    )


register(Layer(
    name="checkup-problems",
    title="现场问题",
    group="城市体检",
    kind=GEOJSON,
    queryset=problems,
    geom_field="location",
    geometry="point",
    properties={
        "name": "indicator_label",
        "indicator": "indicator_label",
        "unit": "unit_name",
        "severity": "severity",
        "severity_label": choice_label("severity", Severity.choices),
        "status": "status",
        "status_label": choice_label("status", ProblemStatus.choices),
        "description": "description",
        "url": RecordURL("checkup:problem_detail"),
    },
    popup=[("indicator", "指标"), ("unit", "体检单元"), ("severity_label", "严重程度"), ("status_label", "整治状态"),
           ("description", "问题描述")],
    filters={"run": the_run, "district": lambda qs, v: qs.filter(unit__region_id__in=district_ids(v)),
             "status": choice_filter("status", "status", ProblemStatus.choices)},
    filter_options={"run": run_options, "district": district_options, "status": choice_options(ProblemStatus.choices)},
    search=("description", "unit__name", "indicator__name"),
    style={"colour_by": "severity", "colours": {str(k): v for k, v in SEVERITY_COLOURS.items()}, "colour": "#f2b01e"},
    legend=[{"label": str(label), "colour": SEVERITY_COLOURS[Severity(k)]} for k, label in Severity.choices],
    citation=str(SEVERITY_SOURCE),
    visible=True,
    order=31,
))


# --- 指标单元值（含空间计算覆盖率） ---------------------------------------------------------------------


def value_indicators(request: Any, run: CheckupRun) -> QuerySet[Indicator]:
    """Indicators of ``run`` that have unit values and that the user may read."""
    with_values = IndicatorValue.objects.filter(run=run, indicator=OuterRef("pk"), unit__isnull=False)
    return services.visible_indicators(request.user, run).filter(Exists(with_values)).order_by("number")


def indicator_of(request: Any, run: CheckupRun) -> Indicator | None:
    readable = value_indicators(request, run)
    value = (request.GET.get("indicator") or "").strip()
    if not value:
        return readable.first()
    indicator = readable.filter(pk=int_value(value, "indicator")).first()
    if indicator is None:
        raise ValueError(f"筛选条件「指标」：本次体检没有指标 {value} 的单元数值，或您无权查看")
    return indicator


def indicator_options(request: Any) -> list[tuple[str, str]]:
    try:
        run = run_of(request)
    except ValueError:
        return []
    return [(str(i.pk), i.label) for i in value_indicators(request, run)] if run else []


def unit_values(request: Any) -> QuerySet[AssessmentUnit]:
    run = run_of(request)
    indicator = indicator_of(request, run) if run else None
    if indicator is None:
        return AssessmentUnit.objects.none()
    rows = IndicatorValue.objects.filter(run=run, indicator=indicator, unit=OuterRef("pk"))
    value = Subquery(rows.values("value")[:1], output_field=DecimalField(max_digits=20, decimal_places=4))
    verdict: Any = Value(str(Verdict.NO_STANDARD))
    if indicator.is_percentage and indicator.threshold is not None and indicator.comparator:
        ok = Q(indicator_value__gte=indicator.threshold) if indicator.comparator == Comparator.GE else Q(indicator_value__lte=indicator.threshold)
        verdict = Case(When(ok, then=Value(str(Verdict.PASS))), default=Value(str(Verdict.FAIL)), output_field=CharField())
    return AssessmentUnit.objects.filter(city=run.city).filter(Exists(rows)).annotate(
        indicator_value=value,
        indicator_name=Value(indicator.label, output_field=CharField()),
        indicator_unit=Value(indicator.unit, output_field=CharField()),
        value_source=Subquery(rows.values("source")[:1]),
    ).annotate(verdict=verdict)


register(Layer(
    name="checkup-values",
    title="指标单元值（含空间计算覆盖率）",
    group="城市体检",
    kind=GEOJSON,
    queryset=unit_values,
    geom_field="geometry",
    geometry="mixed",
    properties={
        "code": "code",
        "name": "name",
        "indicator": "indicator_name",
        "value": "indicator_value",
        "value_unit": "indicator_unit",
        "source_label": choice_label("value_source", ValueSource.choices),
        "verdict": "verdict",
        "verdict_label": choice_label("verdict", Verdict.choices),
        "url": RecordURL("checkup:unit_detail"),
    },
    popup=[("name", "体检单元"), ("indicator", "指标"), ("value", "数值"), ("value_unit", "单位"),
           ("verdict_label", "评价"), ("source_label", "来源")],
    filters={"run": the_run, "indicator": lambda qs, v: qs, "district": units_in_district},
    filter_options={"run": run_options, "indicator": indicator_options, "district": district_options},
    style={"colour_by": "verdict", "colours": {str(k): v for k, v in VERDICT_COLOURS.items()}, "colour": "#a0a8b3",
           "fill_opacity": 0.45},
    legend=[{"label": str(label), "colour": VERDICT_COLOURS[Verdict(k)]} for k, label in Verdict.choices
            if k != Verdict.MISSING],
    citation=str(SETS_SOURCE),
    order=32,
))

"""Check-up dashboard (cards, ECharts, MapLibre), its GeoJSON and the Word report."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from cityrenew.core.geo import to_geojson
from cityrenew.core.choices import RegionLevel
from cityrenew.core.models import Region
from cityrenew.jobs.runner import launch
from cityrenew.jobs.views import confirm_launch, launched

from .. import services
from ..choices import (
    DIMENSION_SOURCE,
    SEVERITY_SOURCE,
    Computation,
    Dimension,
    ProblemStatus,
    Severity,
    UnitKind,
    Verdict,
)
from ..models import (
    AssessmentUnit,
    CheckupRun,
    Evaluation,
    FieldProblem,
    value_as_text,
)
from .common import (
    SEVERITY_COLOURS,
    VERDICT_COLOURS,
    _run,
    run_from_request,
)

# --- completeness, charts ---------------------------------------------------------------------


def completeness_data(run: CheckupRun) -> dict[str, Any]:
    """Completeness by department and by dimension, as the back end computes it, normalised for the pages."""
    data = services.completeness(run)
    by_department = [
        {"name": d["organisation"], "task_id": d["task"].pk, "status": d["status"], "indicators": d["indicators"],
         "expected": d["expected"], "filled": d["filled"], "percent": d["percent"]}
        for d in data["departments"]
    ]
    by_dimension = [
        {"name": d["label"], "total": d["total"], "complete": d["complete"], "percent": d["percent"]}
        for d in data["dimensions"]
    ]
    return {"by_department": by_department, "by_dimension": by_dimension, "total": data["total"],
            "complete": data["complete"], "percent": data["percent"]}


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def verdict_counts(run: CheckupRun) -> dict[str, Any]:
    """Evaluation verdicts per dimension (for the stacked bar)."""
    rows = Evaluation.objects.filter(run=run).values_list("indicator__dimension", "verdict")
    counts: dict[str, Counter] = defaultdict(Counter)
    for dim, verdict in rows:
        counts[dim][verdict] += 1
    dims = [label for _v, label in Dimension.choices]
    series = []
    for v, label in Verdict.choices:
        series.append({"name": label, "key": v, "colour": VERDICT_COLOURS[v],
                       "data": [counts[d][v] for d, _l in Dimension.choices]})
    return {"dimensions": dims, "series": series, "total": len(rows)}


def problem_counts(run: CheckupRun) -> dict[str, Any]:
    """Field problems per indicator and severity (for the stacked bar)."""
    rows = (
        FieldProblem.objects.filter(run=run)
        .values("indicator__number", "indicator__name", "severity")
        .annotate(n=Count("id"))
        .order_by("indicator__number")
    )
    names: dict[int, str] = {}
    by: dict[tuple[int, str], int] = {}
    for r in rows:
        names[r["indicator__number"]] = f"{r['indicator__number']}. {r['indicator__name']}"
        by[(r["indicator__number"], r["severity"])] = r["n"]
    numbers = sorted(names)
    series = [
        {"name": label, "key": s, "colour": SEVERITY_COLOURS[s], "data": [by.get((n, s), 0) for n in numbers]}
        for s, label in Severity.choices
    ]
    return {"indicators": [names[n] for n in numbers], "series": series}


def dashboard_context(run: CheckupRun, user: Any) -> dict[str, Any]:
    comp = completeness_data(run)
    problems = FieldProblem.objects.filter(run=run)
    n_problems = problems.count()
    n_fixed = problems.filter(status=ProblemStatus.FIXED).count()
    indicators = run.indicator_set.active_indicators()
    n_fail = Evaluation.objects.filter(run=run, verdict=Verdict.FAIL).count()
    completion = Evaluation.objects.filter(run=run, indicator__computation=Computation.COMPLETION).first()
    charts = {
        "verdicts": verdict_counts(run),
        "completeness": comp["by_department"],
        "problems": problem_counts(run),
        "severity": [
            {"name": label, "value": problems.filter(severity=s).count(), "colour": SEVERITY_COLOURS[s]}
            for s, label in Severity.choices
        ],
    }
    return {
        "run": run,
        "n_indicators": indicators.count(),
        "completeness": comp,
        "n_fail": n_fail,
        "n_evaluated": Evaluation.objects.filter(run=run).count(),
        "n_problems": n_problems,
        "n_fixed": n_fixed,
        "completion": completion,
        "completion_text": value_as_text(completion.value) + "%" if completion and completion.value is not None else "—",
        "charts": charts,
        "can_manage": services.can_manage_city(user, run.city),
    }


# --- dashboard --------------------------------------------------------------------------------


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "checkup/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        run = run_from_request(self.request)
        ctx["runs"] = CheckupRun.objects.select_related("city").order_by("-year", "city__code")
        ctx["dimension_source"] = DIMENSION_SOURCE
        ctx["severity_source"] = SEVERITY_SOURCE
        if run is not None:
            ctx.update(dashboard_context(run, self.request.user))
        return ctx


class MapGeoJSONView(LoginRequiredMixin, View):
    """Districts (Region.boundary), assessment units and field problems of a run, WGS84 GeoJSON."""

    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        run = _run(pk)
        districts = []
        for r in Region.objects.filter(parent=run.city, level=RegionLevel.DISTRICT).exclude(boundary=None).order_by("code"):
            districts.append({"type": "Feature", "id": r.pk, "geometry": to_geojson(r.boundary),
                              "properties": {"id": r.pk, "name": r.display_name}})
        counts = dict(
            FieldProblem.objects.filter(run=run).values_list("unit_id").annotate(n=Count("id")).values_list("unit_id", "n")
        )
        units = []
        # 街区/小区/社区 always; buildings only where a problem was recorded (a city has far too many to draw)
        shown = AssessmentUnit.objects.filter(city=run.city).filter(~Q(kind=UnitKind.BUILDING) | Q(pk__in=list(counts)))
        for u in shown.select_related("region"):
            geom = to_geojson(u.geometry)
            if not geom and u.centroid_lon is not None and u.centroid_lat is not None:
                geom = {"type": "Point", "coordinates": [u.centroid_lon, u.centroid_lat]}
            if not geom:
                continue
            units.append({"type": "Feature", "id": u.pk, "geometry": geom, "properties": {
                "id": u.pk, "name": u.name, "kind": u.kind, "kind_label": u.get_kind_display(),
                "region": u.region.display_name, "problems": counts.get(u.pk, 0),
                "geom": geom.get("type", ""),
            }})
        problems = []
        qs = FieldProblem.objects.filter(run=run).select_related("indicator", "sub_problem", "unit")
        for p in qs:
            lon, lat = p.lon, p.lat
            if lon is None or lat is None:
                lon, lat = p.unit.centroid_lon, p.unit.centroid_lat
            if lon is None or lat is None:
                continue
            problems.append({"type": "Feature", "id": p.pk, "geometry": {"type": "Point", "coordinates": [lon, lat]},
                             "properties": {
                                 "id": p.pk, "severity": p.severity, "severity_label": p.get_severity_display(),
                                 "colour": SEVERITY_COLOURS.get(p.severity, "#666"),
                                 "indicator": f"{p.indicator.number}. {p.indicator.name}",
                                 "what": p.sub_problem.name if p.sub_problem_id else p.indicator.name,
                                 "unit": p.unit.name, "status": p.get_status_display(),
                                 "url": reverse("checkup:problem_detail", args=[p.pk]),
                             }})
        fc = lambda feats: {"type": "FeatureCollection", "features": feats}  # noqa: E731
        return JsonResponse({
            "crs_note": "WGS84 (EPSG:4326)",
            "districts": fc(districts), "units": fc(units), "problems": fc(problems),
            "severity_colours": {label: SEVERITY_COLOURS[s] for s, label in Severity.choices},
        })


class ReportView(LoginRequiredMixin, View):
    """The Word report, generated by a background job (charts take a while): GET asks, POST launches."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = _run(pk)
        return confirm_launch(request, title=f"生成体检报告（Word）：{run}",
                              text="体检报告（含图表）由后台任务生成，完成后在任务页下载。",
                              back_url=reverse("checkup:dashboard") + f"?run={run.pk}")

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = _run(pk)
        job = launch("checkup.report", owner=request.user, title=f"生成体检报告：{run.city.display_name}{run.year}年", run=run.pk)
        return launched(request, job)

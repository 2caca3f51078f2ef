"""Pages of the city check-up (城市体检).

Dashboard (cards, ECharts, MapLibre), indicator sets (list, detail, diff, copy), runs (list, create,
detail with completeness), department tasks (template download, upload with the row-by-row error
report, value entry, evidence, submit → return/accept with the review history), field problems
(list with filters and the 转为整治任务 / 生成项目 actions, create, detail), the official 问题清单 and
整治建议清单 with Excel exports, the evaluation page and the Word report.

Every rule (who may fill, review, record; how values are validated; what a project made from
problems looks like) lives in :mod:`cityrenew.checkup.services`; these views only ask it. A department
user who opens another department's task gets a Chinese 403 page, whichever URL is typed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from cityrenew.core.views import forbidden as core_forbidden
from cityrenew.core.choices import RegionLevel
from cityrenew.core.models import Region
from cityrenew.core.xlsx import xlsx_response

from . import services
from .catalogue import DIFF_SOURCE, SETS_SOURCE, add_local_indicator, copy_set, diff_sets, retire_indicator
from .choices import (
    DIMENSION_SOURCE,
    SEVERITY_SOURCE,
    Computation,
    Dimension,
    ProblemStatus,
    Severity,
    TaskStatus,
    Trend,
    UnitKind,
    Verdict,
)
from .forms import (
    CopySetForm,
    EvidenceForm,
    FieldProblemForm,
    LocalIndicatorForm,
    ProblemFilterSet,
    ReturnForm,
    RunCreateForm,
    SetDiffForm,
    TemplateUploadForm,
    ValueEntryForm,
)
from .models import (
    AssessmentUnit,
    CheckupRun,
    DepartmentTask,
    Evaluation,
    Evidence,
    FieldProblem,
    Indicator,
    IndicatorSet,
    IndicatorValue,
    RemediationTask,
    value_as_text,
)
from .services.exports import PROBLEM_HEADERS, PROBLEM_LIST_SOURCE, REMEDIATION_HEADERS, REMEDIATION_LIST_SOURCE, problems_of
from .services.permissions import is_department_user

PAGE_SIZE = 50
SEVERITY_COLOURS = {Severity.GENERAL: "#f2b01e", Severity.SERIOUS: "#e8590c", Severity.SEVERE: "#b3261e"}
VERDICT_COLOURS = {Verdict.PASS: "#1b7f3b", Verdict.FAIL: "#b3261e", Verdict.NO_STANDARD: "#a0a8b3", Verdict.MISSING: "#e0c48a"}
VERDICT_BADGE = {Verdict.PASS: "good", Verdict.FAIL: "bad", Verdict.NO_STANDARD: "", Verdict.MISSING: "neutral"}
TREND_BADGE = {Trend.BETTER: "good", Trend.WORSE: "bad", Trend.SAME: "", Trend.NOT_COMPARABLE: "neutral"}
TREND_ARROW = {Trend.BETTER: "↑", Trend.WORSE: "↓", Trend.SAME: "→", Trend.NOT_COMPARABLE: ""}


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return core_forbidden(
        request,
        message,
        hint=gettext("如需办理，请联系本部门的填报人员或市城市更新主管部门。"),
        back_url=reverse("checkup:dashboard"),
        back_label=gettext("返回城市体检"),
    )


def latest_run() -> CheckupRun | None:
    return CheckupRun.objects.select_related("city", "indicator_set").order_by("-year", "city__code").first()


def run_from_request(request: HttpRequest) -> CheckupRun | None:
    pk = request.GET.get("run")
    if pk and pk.isdigit():
        return CheckupRun.objects.select_related("city", "indicator_set").filter(pk=int(pk)).first()
    return latest_run()


def _run(pk: int) -> CheckupRun:
    return get_object_or_404(CheckupRun.objects.select_related("city", "indicator_set"), pk=pk)


def _task(pk: int) -> DepartmentTask:
    return get_object_or_404(DepartmentTask.objects.select_related("run__city", "run__indicator_set", "organisation"), pk=pk)


def _error_text(exc: Exception) -> str:
    if hasattr(exc, "messages"):
        return "；".join(str(m) for m in exc.messages)
    return str(exc)


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
            districts.append({"type": "Feature", "id": r.pk, "geometry": r.boundary,
                              "properties": {"id": r.pk, "name": r.display_name}})
        counts = dict(
            FieldProblem.objects.filter(run=run).values_list("unit_id").annotate(n=Count("id")).values_list("unit_id", "n")
        )
        units = []
        # 街区/小区/社区 always; buildings only where a problem was recorded (a city has far too many to draw)
        shown = AssessmentUnit.objects.filter(city=run.city).filter(~Q(kind=UnitKind.BUILDING) | Q(pk__in=list(counts)))
        for u in shown.select_related("region"):
            geom = u.geometry
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
    """Generate the Word report on demand (the back end's report builder) and send it."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        from .report import build_report

        run = _run(pk)
        out_dir = Path(settings.DATA_DIR) / "reports"
        out_dir.mkdir(parents=True, exist_ok=True)
        name = f"{run.city.display_name}{run.year}年城市体检报告.docx"
        path = out_dir / name  # the same file the demo and the CLI write
        try:
            build_report(run, path)
        except (services.CheckupError, ValueError, OSError) as exc:  # the builder names what is missing
            messages.error(request, f"体检报告生成失败：{_error_text(exc)}")
            return redirect(reverse("checkup:dashboard") + f"?run={run.pk}")
        return FileResponse(open(path, "rb"), as_attachment=True, filename=name,
                            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")


# --- indicator sets ---------------------------------------------------------------------------


class SetListView(LoginRequiredMixin, TemplateView):
    template_name = "checkup/set_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        sets = IndicatorSet.objects.select_related("city", "copied_from").annotate(
            n=Count("indicators", filter=Q(indicators__retired=False)),
            n_retired=Count("indicators", filter=Q(indicators__retired=True)),
        ).order_by("-year", "code")
        ordered = list(sets)
        initial = {"old": ordered[1], "new": ordered[0]} if len(ordered) > 1 else {}
        ctx.update(sets=ordered, diff_form=SetDiffForm(initial=initial), sets_source=SETS_SOURCE)
        return ctx


def grouped_indicators(qs) -> list[dict[str, Any]]:
    """Indicators grouped by dimension (in the manual's order), each group with its rows."""
    by_dim: dict[str, list[Indicator]] = defaultdict(list)
    for ind in qs:
        by_dim[ind.dimension].append(ind)
    return [{"key": d, "label": label, "indicators": by_dim[d]} for d, label in Dimension.choices if by_dim[d]]


class SetDetailView(LoginRequiredMixin, TemplateView):
    template_name = "checkup/set_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        s = get_object_or_404(IndicatorSet.objects.select_related("city", "copied_from"), pk=kwargs["pk"])
        qs = s.indicators.order_by("number").prefetch_related("sub_problems")
        city = s.city or Region.objects.filter(level=RegionLevel.CITY).order_by("code").first()
        ctx.update(
            set=s, groups=grouped_indicators(qs), n_active=qs.filter(retired=False).count(),
            n_retired=qs.filter(retired=True).count(), dimension_source=DIMENSION_SOURCE,
            can_copy=city is not None and services.can_manage_city(self.request.user, city),
            copy_form=CopySetForm(initial={"city": city, "code": f"{s.code}-{city.code if city else ''}",
                                           "name": f"{city.display_name if city else ''}{s.name}"}),
            others=IndicatorSet.objects.exclude(pk=s.pk).order_by("-year", "code"),
            can_edit=s.city_id is not None and services.can_manage_city(self.request.user, s.city),
            local_form=kwargs.get("local_form") or LocalIndicatorForm(),
        )
        return ctx

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Add a local indicator to a city's set (城市特色指标), with its policy source."""
        s = get_object_or_404(IndicatorSet, pk=pk)
        if s.city_id is None or not services.can_manage_city(request.user, s.city):
            return forbidden(request, "国家基础指标体系不能直接修改；城市的指标体系只有该市的市级管理员可以增设指标。")
        form = LocalIndicatorForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(pk=pk, local_form=form), status=400)
        fields = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        try:
            ind = add_local_indicator(s, **fields)
        except (ValueError, ValidationError) as exc:
            form.add_error(None, _error_text(exc))
            return self.render_to_response(self.get_context_data(pk=pk, local_form=form), status=400)
        messages.success(request, f"已增设地方指标{ind.number}“{ind.name}”")
        return redirect(reverse("checkup:set_detail", args=[pk]) + f"#dim-{ind.dimension}")


class IndicatorRetireView(LoginRequiredMixin, View):
    """Retire (停用) or restore an indicator of a city's set; kept for history, left out of new runs."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ind = get_object_or_404(Indicator.objects.select_related("indicator_set__city"), pk=pk)
        s = ind.indicator_set
        if s.city_id is None or not services.can_manage_city(request.user, s.city):
            return forbidden(request, "国家基础指标体系中的指标不能停用，请先复制为本市指标体系；只有该市的市级管理员可以停用指标。")
        if request.POST.get("restore"):
            ind.retired = False
            ind.save()
            messages.success(request, f"已恢复指标{ind.number}“{ind.name}”")
        else:
            try:
                retire_indicator(ind)
            except ValueError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"已停用指标{ind.number}“{ind.name}”（保留历史，新的体检不再使用）")
        return redirect(reverse("checkup:set_detail", args=[s.pk]) + f"#dim-{ind.dimension}")


class SetDiffView(LoginRequiredMixin, TemplateView):
    template_name = "checkup/set_diff.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        form = SetDiffForm(self.request.GET or None)
        diff = None
        if form.is_valid():
            diff = diff_sets(form.cleaned_data["old"], form.cleaned_data["new"])
        ctx.update(form=form, diff=diff, diff_source=DIFF_SOURCE)
        return ctx


class SetCopyView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        source = get_object_or_404(IndicatorSet, pk=pk)
        form = CopySetForm(request.POST)
        if not form.is_valid():
            for field, errs in form.errors.items():
                for e in errs:
                    messages.error(request, f"{form.fields[field].label if field in form.fields else ''}：{e}")
            return redirect("checkup:set_detail", pk=pk)
        city = form.cleaned_data["city"]
        if not services.can_manage_city(request.user, city):
            return forbidden(request, f"只有{city.display_name}的市级管理员可以复制指标体系。")
        try:
            new = copy_set(source, city, form.cleaned_data["code"], form.cleaned_data["name"])
        except ValueError as exc:
            messages.error(request, str(exc))
            return redirect("checkup:set_detail", pk=pk)
        messages.success(request, f"已复制为“{new.name}”（{new.code}），共 {new.indicators.count()} 项指标")
        return redirect("checkup:set_detail", pk=new.pk)


# --- runs -------------------------------------------------------------------------------------


class RunListView(LoginRequiredMixin, TemplateView):
    template_name = "checkup/run_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        runs = CheckupRun.objects.select_related("city", "indicator_set").annotate(
            n_tasks=Count("tasks", distinct=True), n_problems=Count("problems", distinct=True)
        ).order_by("-year", "city__code")
        user = self.request.user
        city = Region.objects.filter(level=RegionLevel.CITY).order_by("code").first()
        ctx.update(runs=runs, can_create=city is not None and services.can_manage_city(user, city))
        return ctx


class RunCreateView(LoginRequiredMixin, View):
    template_name = "checkup/run_form.html"

    def _guard(self, request: HttpRequest, city: Region | None) -> HttpResponse | None:
        if city is None or not services.can_manage_city(request.user, city):
            return forbidden(request, "只有市级管理员可以新建城市体检。")
        return None

    def get(self, request: HttpRequest) -> HttpResponse:
        city = Region.objects.filter(level=RegionLevel.CITY).order_by("code").first()
        if (denied := self._guard(request, city)) is not None:
            return denied
        latest = IndicatorSet.objects.order_by("-year", "code").first()
        form = RunCreateForm(initial={"city": city, "indicator_set": latest, "year": latest.year if latest else None})
        return render(request, self.template_name, {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = RunCreateForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        city = form.cleaned_data["city"]
        if (denied := self._guard(request, city)) is not None:
            return denied
        try:
            run = services.create_run(city, form.cleaned_data["year"], form.cleaned_data["indicator_set"], request.user)
        except services.CheckupError as exc:
            form.add_error(None, _error_text(exc))
            return render(request, self.template_name, {"form": form}, status=400)
        messages.success(request, f"已创建{run}，生成 {run.tasks.count()} 个部门填报任务")
        return redirect("checkup:run_detail", pk=run.pk)


class RunDetailView(LoginRequiredMixin, TemplateView):
    template_name = "checkup/run_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        run = _run(kwargs["pk"])
        user = self.request.user
        comp = completeness_data(run)
        tasks = list(services.visible_tasks(user, run).annotate(n_ind=Count("indicators", distinct=True)))
        dept_only = is_department_user(user, run)
        if dept_only:
            mine = {t.pk for t in tasks}
            comp = dict(comp, by_department=[d for d in comp["by_department"] if d["task_id"] in mine])
        by_task = {d["task_id"]: d for d in comp["by_department"]}
        for t in tasks:
            t.completeness = by_task.get(t.pk)
            t.can_fill = services.can_fill_task(user, t)
            t.can_review = services.can_review_task(user, t)
        ctx.update(
            run=run, tasks=tasks, completeness=comp, dept_only=dept_only,
            can_manage=services.can_manage_city(user, run.city),
            n_problems=run.problems.count(), n_remediation=run.remediation_tasks.count(),
            charts={"completeness": comp["by_department"], "dimensions": comp["by_dimension"]},
        )
        return ctx


class RunEvaluateView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = _run(pk)
        if not services.can_manage_city(request.user, run.city):
            return forbidden(request, "只有市级管理员可以运行体检评价。")
        try:
            result = services.evaluate_run(run)
        except services.CheckupError as exc:
            messages.error(request, f"评价失败：{_error_text(exc)}")
            return redirect("checkup:run_detail", pk=pk)
        n = len(result) if hasattr(result, "__len__") else Evaluation.objects.filter(run=run).count()
        messages.success(request, f"已完成评价：{n} 项指标")
        return redirect("checkup:evaluation", pk=pk)


# --- department tasks --------------------------------------------------------------------------


def _deny_task(request: HttpRequest, task: DepartmentTask, write: bool = False) -> HttpResponse | None:
    """403 for a department user on another department's task (read), or for anyone who may not fill it (write)."""
    user = request.user
    if write:
        if not services.can_fill_task(user, task):
            return forbidden(request, f"您不是“{task.organisation.name}”的填报人员，不能填报或上传该部门的指标。")
        return None
    if not services.visible_tasks(user, task.run).filter(pk=task.pk).exists():
        return forbidden(request, f"您只能查看本部门的填报任务；“{task.organisation.name}”的任务由该部门填报。")
    return None


def task_slots(task: DepartmentTask) -> list[dict[str, Any]]:
    """The (indicator, unit) slots a task fills on the page; computed indicators have none."""
    indicators = list(task.indicators.filter(retired=False).order_by("number"))
    existing = {
        (v.indicator_id, v.unit_id): v
        for v in IndicatorValue.objects.filter(run=task.run, indicator__in=indicators).select_related("unit")
    }
    slots = []
    for ind in indicators:
        if ind.is_computed:
            continue
        if ind.report_level:
            units = AssessmentUnit.objects.filter(city=task.run.city, kind=ind.report_level).order_by("code")
        else:
            units = [None]
        for u in units:
            v = existing.get((ind.pk, u.pk if u else None))
            key = f"v_{ind.pk}" + (f"_{u.pk}" if u else "")
            slots.append({"key": key, "indicator": ind, "unit": u, "value": v,
                          "initial": value_as_text(v.value) if v else ""})
    return slots


def task_context(request: HttpRequest, task: DepartmentTask, **extra: Any) -> dict[str, Any]:
    user = request.user
    indicators = list(task.indicators.order_by("number"))
    values = IndicatorValue.objects.filter(run=task.run, indicator__in=indicators).select_related("indicator", "unit", "entered_by")
    can_fill = services.can_fill_task(user, task)
    slots = task_slots(task)
    ctx = {
        "task": task, "run": task.run, "indicators": indicators, "values": values,
        "computed": [i for i in indicators if i.is_computed],
        "can_fill": can_fill and task.editable,
        "can_review": services.can_review_task(user, task) and task.status == TaskStatus.SUBMITTED,
        "reviews": task.reviews.select_related("user").order_by("at", "id"),
        "evidence": task.evidence.select_related("uploaded_by", "value__indicator").order_by("-uploaded_at"),
        "upload_form": TemplateUploadForm(),
        "evidence_form": EvidenceForm(indicators=indicators),
        "return_form": ReturnForm(),
        "value_form": ValueEntryForm(slots=slots),
        "slots": slots,
    }
    ctx.update(extra)
    ctx["slot_rows"] = [(s, ctx["value_form"][s["key"]]) for s in slots]
    return ctx


class TaskDetailView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = _task(pk)
        if (denied := _deny_task(request, task)) is not None:
            return denied
        return render(request, "checkup/task_detail.html", task_context(request, task))


class TaskTemplateView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = _task(pk)
        if (denied := _deny_task(request, task)) is not None:
            return denied
        wb = services.department_template(task)
        return xlsx_response(wb, f"{task.run.city.display_name}{task.run.year}年城市体检-{task.organisation.name}-填报模板.xlsx")


class TaskUploadView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = _task(pk)
        if (denied := _deny_task(request, task, write=True)) is not None:
            return denied
        form = TemplateUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            errors = [e for errs in form.errors.values() for e in errs]
            return render(request, "checkup/task_detail.html",
                          task_context(request, task, upload_form=form, upload_errors=errors), status=400)
        if not task.editable:
            return render(request, "checkup/task_detail.html", task_context(
                request, task, upload_errors=[f"任务状态为“{task.get_status_display()}”，不能再上传；如需修改请联系审核人退回"]), status=400)
        try:
            report = services.upload_department_values(task, form.cleaned_data["file"], request.user)
        except services.CheckupError as exc:
            return render(request, "checkup/task_detail.html",
                          task_context(request, task, upload_errors=[_error_text(exc)]), status=400)
        if not report.ok:
            return render(request, "checkup/task_detail.html",
                          task_context(request, task, upload_errors=report.messages,
                                       upload_failed=f"上传失败：发现 {len(report.errors)} 处错误，未保存任何数据。"),
                          status=400)
        messages.success(request, report.summary_text())
        return redirect("checkup:task_detail", pk=pk)


class TaskValuesView(LoginRequiredMixin, View):
    """Value entry on the page: only the task's own, reported indicators."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = _task(pk)
        if (denied := _deny_task(request, task, write=True)) is not None:
            return denied
        if not task.editable:
            messages.error(request, f"任务状态为“{task.get_status_display()}”，不能修改数值")
            return redirect("checkup:task_detail", pk=pk)
        slots = task_slots(task)
        form = ValueEntryForm(request.POST, slots=slots)
        if not form.is_valid():
            return render(request, "checkup/task_detail.html", task_context(request, task, value_form=form), status=400)
        changed = 0
        try:
            with transaction.atomic():
                for s in slots:
                    value = form.cleaned_data.get(s["key"])
                    if value is None:
                        continue
                    if s["value"] is not None and s["value"].value == value:
                        continue
                    services.set_value(task, s["indicator"], s["unit"], value, request.user)
                    changed += 1
        except services.CheckupError as exc:
            form.add_error(None, _error_text(exc))
            return render(request, "checkup/task_detail.html", task_context(request, task, value_form=form), status=400)
        messages.success(request, f"已保存 {changed} 个指标值")
        return redirect("checkup:task_detail", pk=pk)


class TaskEvidenceView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = _task(pk)
        if (denied := _deny_task(request, task, write=True)) is not None:
            return denied
        indicators = list(task.indicators.all())
        form = EvidenceForm(request.POST, request.FILES, indicators=indicators)
        if not form.is_valid():
            return render(request, "checkup/task_detail.html", task_context(request, task, evidence_form=form), status=400)
        ind = form.cleaned_data.get("indicator")
        value = None
        if ind is not None:
            value = IndicatorValue.objects.filter(run=task.run, indicator=ind, unit=None).first()
        ev = Evidence(task=task, value=value, file=form.cleaned_data["file"],
                      description=form.cleaned_data["description"] or (f"指标{ind.number} {ind.name}" if ind else ""),
                      uploaded_by=request.user)
        ev.save()
        messages.success(request, f"已上传佐证材料“{form.cleaned_data['file'].name}”")
        return redirect("checkup:task_detail", pk=pk)


class TaskSubmitView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = _task(pk)
        if (denied := _deny_task(request, task, write=True)) is not None:
            return denied
        try:
            services.submit_task(task, request.user)
        except services.CheckupError as exc:
            messages.error(request, f"提交失败：{_error_text(exc)}")
        else:
            messages.success(request, "已提交审核")
        return redirect("checkup:task_detail", pk=pk)


class TaskReturnView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = _task(pk)
        if not services.can_review_task(request.user, task):
            return forbidden(request, f"您不是“{task.organisation.name}”任务的审核人，不能退回。")
        form = ReturnForm(request.POST)
        if not form.is_valid():
            return render(request, "checkup/task_detail.html", task_context(request, task, return_form=form), status=400)
        try:
            services.return_task(task, request.user, form.cleaned_data["reason"])
        except services.CheckupError as exc:
            messages.error(request, f"退回失败：{_error_text(exc)}")
        else:
            messages.success(request, "已退回，原因已记入审核记录")
        return redirect("checkup:task_detail", pk=pk)


class TaskAcceptView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = _task(pk)
        if not services.can_review_task(request.user, task):
            return forbidden(request, f"您不是“{task.organisation.name}”任务的审核人，不能审核通过。")
        try:
            services.accept_task(task, request.user, request.POST.get("reason", "").strip())
        except services.CheckupError as exc:
            messages.error(request, f"审核失败：{_error_text(exc)}")
        else:
            messages.success(request, "已审核通过")
        return redirect("checkup:task_detail", pk=pk)


# --- field problems -----------------------------------------------------------------------------



def region_label(region: Region, cache: dict[int, str] | None = None) -> str:
    """“中原区 · 绿东村街道”: the region's place below the city."""
    if cache is not None and region.pk in cache:
        return cache[region.pk]
    text = region.place_label()
    if cache is not None:
        cache[region.pk] = text
    return text



def problem_queryset(run: CheckupRun):
    return FieldProblem.objects.filter(run=run).select_related(
        "indicator", "sub_problem", "unit__parent__parent", "unit__region", "project", "remediation_task", "recorded_by"
    ).order_by("indicator__number", "id")


class ProblemListView(LoginRequiredMixin, TemplateView):
    template_name = "checkup/problem_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        run = _run(kwargs["pk"])
        fs = ProblemFilterSet(self.request.GET, queryset=problem_queryset(run), run=run)
        qs = fs.qs
        page = Paginator(qs, PAGE_SIZE).get_page(self.request.GET.get("page"))
        page.object_list = list(page.object_list)
        labels: dict[int, str] = {}
        for p in page.object_list:
            p.region_text = region_label(p.unit.region, labels)
        query = self.request.GET.copy()
        query.pop("page", None)
        user = self.request.user
        ctx.update(
            run=run, filter=fs, page=page, query=query.urlencode(), total=qs.count(),
            severity_counts={label: qs.filter(severity=s).count() for s, label in Severity.choices},
            can_manage=services.can_manage_city(user, run.city),
            can_record=services.can_record_problems(user, run),
            severity_source=SEVERITY_SOURCE,
        )
        return ctx


class ProblemCreateView(LoginRequiredMixin, View):
    template_name = "checkup/problem_form.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = _run(pk)
        if not services.can_record_problems(request.user, run):
            return forbidden(request, "只有调查员、区级编辑和市级管理员可以记录现场问题。")
        initial = {k: request.GET[k] for k in ("unit", "indicator") if request.GET.get(k)}
        return render(request, self.template_name, {"run": run, "form": FieldProblemForm(run=run, initial=initial)})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = _run(pk)
        form = FieldProblemForm(request.POST, request.FILES, run=run)
        if not form.is_valid():
            if not services.can_record_problems(request.user, run):
                return forbidden(request, "只有调查员、区级编辑和市级管理员可以记录现场问题。")
            return render(request, self.template_name, {"run": run, "form": form}, status=400)
        data = form.cleaned_data
        if not services.can_record_problems(request.user, run, data["unit"]):
            return forbidden(request, f"您不能在“{data['unit'].name}”记录现场问题（不在您的授权区划内）。")
        try:
            with transaction.atomic():
                problem = services.record_problem(
                    run, indicator=data["indicator"], unit=data["unit"], sub_problem=data.get("sub_problem"),
                    severity=data["severity"], description=data["description"], lon=data.get("lon"), lat=data.get("lat"),
                    suggestion=data.get("suggestion", ""), user=request.user, photos=data.get("photos") or [],
                )
        except services.CheckupError as exc:
            form.add_error(None, _error_text(exc))
            return render(request, self.template_name, {"run": run, "form": form}, status=400)
        messages.success(request, f"已记录问题：{problem}")
        return redirect("checkup:problem_detail", pk=problem.pk)


class ProblemDetailView(LoginRequiredMixin, TemplateView):
    template_name = "checkup/problem_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        p = get_object_or_404(
            FieldProblem.objects.select_related("run__city", "indicator", "sub_problem", "unit__parent", "unit__region",
                                                "project", "remediation_task__organisation", "recorded_by"),
            pk=kwargs["pk"],
        )
        ctx.update(problem=p, run=p.run, photos=p.photos.all(), chain=[p.unit, *p.unit.ancestors()],
                   region_text=region_label(p.unit.region),
                   can_manage=services.can_manage_city(self.request.user, p.run.city),
                   severity_source=SEVERITY_SOURCE)
        return ctx


class ProblemActionView(LoginRequiredMixin, View):
    """Selected problems → 整治任务 or 项目（草稿）, through the back end."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = _run(pk)
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
            back = reverse("checkup:problem_list", args=[pk])
        if not services.can_manage_city(request.user, run.city):
            return forbidden(request, "只有市级管理员可以把问题转为整治任务或生成项目。")
        ids = [int(i) for i in request.POST.getlist("problem") if i.isdigit()]
        problems = list(FieldProblem.objects.filter(run=run, pk__in=ids).select_related("indicator", "unit"))
        if not problems:
            messages.error(request, "请先勾选要处理的问题")
            return redirect(back)
        action = request.POST.get("action")
        title = request.POST.get("title", "").strip()
        try:
            if action == "task":
                task = services.problems_to_task(problems, request.user, **({"title": title} if title else {}))
                messages.success(request, f"已把 {len(problems)} 个问题转为整治任务“{task.title}”")
            elif action == "project":
                project = services.problems_to_project(problems, request.user, **({"name": title} if title else {}))
                messages.success(request, f"已生成项目（草稿）{project.code}“{project.name}”，关联 {len(problems)} 个问题")
                return redirect(project.get_absolute_url())
            else:
                messages.error(request, "未知操作")
        except services.CheckupError as exc:
            messages.error(request, f"操作失败：{_error_text(exc)}")
        return redirect(back)


# --- official lists, evaluation ----------------------------------------------------------------


PROBLEM_KEYS = ["seq", "dimension", "indicator", "type", "district", "street", "block", "compound", "building",
                "severity", "description", "lon", "lat", "status", "project"]
REMEDIATION_KEYS = ["seq", "type", "indicator", "block", "compound", "building", "severity", "description",
                    "suggestion", "responsible", "task", "project", "due"]


def official_rows(rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    """The back end's list rows as table cells in the Excel column order (project cells link to the library)."""
    out = []
    for r in rows:
        cells = []
        for k in keys:
            v = r.get(k)
            if k in ("lon", "lat") and v is not None:
                v = f"{v:.6f}"
            cells.append({"key": k, "value": "" if v is None else v})
        out.append({"cells": cells, "problem": r.get("problem")})
    return out


class IssueListView(LoginRequiredMixin, TemplateView):
    """问题清单 in the official list layout (the same rows and columns as its Excel export)."""

    template_name = "checkup/issue_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        run = _run(kwargs["pk"])
        ctx.update(run=run, headers=PROBLEM_HEADERS, rows=official_rows(services.problem_list_rows(run), PROBLEM_KEYS),
                   title="问题清单", active_tab="issues", source=PROBLEM_LIST_SOURCE,
                   export_url=reverse("checkup:issue_list_export", args=[run.pk]))
        return ctx


class RemediationListView(LoginRequiredMixin, TemplateView):
    """整治建议清单 in the official list layout."""

    template_name = "checkup/issue_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        run = _run(kwargs["pk"])
        ctx.update(run=run, headers=REMEDIATION_HEADERS,
                   rows=official_rows(services.remediation_list_rows(run), REMEDIATION_KEYS),
                   title="整治建议清单", active_tab="remediation", source=REMEDIATION_LIST_SOURCE,
                   export_url=reverse("checkup:remediation_list_export", args=[run.pk]),
                   tasks=RemediationTask.objects.filter(run=run).select_related("organisation", "project"))
        return ctx


class IssueListExportView(LoginRequiredMixin, View):
    """问题清单 (Excel); with the problem list's filters in the query string, only the filtered problems."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = _run(pk)
        problems = None
        if any(request.GET.get(k) for k in ProblemFilterSet.base_filters):
            problems = ProblemFilterSet(request.GET, queryset=problems_of(run), run=run).qs
        return xlsx_response(services.problem_list_workbook(run, problems),
                             f"{run.city.display_name}{run.year}年城市体检问题清单.xlsx")


class RemediationListExportView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = _run(pk)
        return xlsx_response(services.remediation_list_workbook(run), f"{run.city.display_name}{run.year}年城市体检整治建议清单.xlsx")


class EvaluationView(LoginRequiredMixin, TemplateView):
    template_name = "checkup/evaluation.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        run = _run(kwargs["pk"])
        user = self.request.user
        visible = set(services.visible_indicators(user, run).values_list("pk", flat=True))
        evals = {e.indicator_id: e for e in Evaluation.objects.filter(run=run)}
        inds = [i for i in run.indicator_set.indicators.filter(retired=False).order_by("number") if i.pk in visible]
        for i in inds:
            e = evals.get(i.pk)
            i.evaluation = e
            i.verdict_badge = VERDICT_BADGE.get(e.verdict, "") if e else "neutral"
            i.trend_badge = TREND_BADGE.get(e.trend, "") if e else ""
            i.trend_arrow = TREND_ARROW.get(e.trend, "") if e else ""
            i.value_text = value_as_text(e.value) if e else ""
            i.previous_text = value_as_text(e.previous_value) if e else ""
        verdicts = Counter(e.verdict for e in evals.values() if e.indicator_id in visible)
        ctx.update(
            run=run, groups=grouped_indicators(inds), evaluated=bool(evals),
            verdict_summary=[(label, verdicts.get(v, 0), VERDICT_BADGE[v]) for v, label in Verdict.choices],
            previous=run.previous_run(), can_manage=services.can_manage_city(user, run.city),
            warnings=[i for i in inds if getattr(i, "evaluation", None) and i.evaluation.warning],
        )
        return ctx

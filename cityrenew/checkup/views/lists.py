"""The official 问题清单 and 整治建议清单 (pages and Excel) and the evaluation page."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from cityrenew.core.xlsx import xlsx_response

from .. import services
from ..choices import (
    Verdict,
)
from ..forms import (
    ProblemFilterSet,
)
from ..models import (
    Evaluation,
    RemediationTask,
    value_as_text,
)
from ..services.exports import (
    PROBLEM_HEADERS,
    PROBLEM_LIST_SOURCE,
    REMEDIATION_HEADERS,
    REMEDIATION_LIST_SOURCE,
    problems_of,
)
from .common import TREND_ARROW, TREND_BADGE, VERDICT_BADGE, _run
from .sets import grouped_indicators

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

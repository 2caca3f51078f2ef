"""Check-up runs (城市体检): list, create, detail with completeness, evaluate."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import TemplateView

from cityrenew.core.choices import RegionLevel
from cityrenew.core.models import Region
from cityrenew.jobs.runner import launch
from cityrenew.jobs.views import launched

from .. import services
from ..forms import (
    RunCreateForm,
)
from ..models import (
    CheckupRun,
    IndicatorSet,
)
from ..services.permissions import is_department_user
from .common import _error_text, _run, forbidden
from .dashboard import completeness_data

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
            run = services.create_run(city, form.cleaned_data["year"], form.cleaned_data["indicator_set"], request.user,
                                      deadline=form.cleaned_data.get("deadline"))
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
    """City admin: evaluate the run in a background job (the job page shows the result)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = _run(pk)
        if not services.can_manage_city(request.user, run.city):
            return forbidden(request, "只有市级管理员可以运行体检评价。")
        job = launch("checkup.evaluate", owner=request.user, title=f"运行体检评价：{run.city.display_name}{run.year}年", run=run.pk)
        return launched(request, job)

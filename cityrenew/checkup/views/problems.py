"""Field problems (现场问题): list with actions, create, detail."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from cityrenew.core.generic import Column, ObjectListView, ObjectView, Table

from .. import services
from ..choices import (
    SEVERITY_SOURCE,
    Severity,
)
from ..forms import (
    FieldProblemForm,
    ProblemFilterSet,
)
from ..models import (
    CheckupRun,
    FieldProblem,
)
from .common import PAGE_SIZE, _error_text, _run, forbidden, region_label

# --- field problems -----------------------------------------------------------------------------





def problem_queryset(run: CheckupRun):
    return FieldProblem.objects.filter(run=run).select_related(
        "indicator", "sub_problem", "unit__parent__parent", "unit__region", "project", "remediation_task", "recorded_by"
    ).order_by("indicator__number", "id")


class ProblemTable(Table):  # 现场问题
    columns = [
        Column("pk", "编号", order_by="id", link=True),
        Column("indicator", "指标", accessor=lambda p: f"{p.indicator.number}. {p.indicator.name}",
               order_by=("indicator__number", "id")),
        Column("sub_problem", "问题细项", accessor="sub_problem.name"),
        Column("unit", "体检单元", accessor="unit.name"),
        Column("region_text", "所在区划"),
        Column("severity", "严重程度", order_by="severity"),
        Column("description", "问题描述"),
        Column("status", "整治状态", order_by="status"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.labels: dict[int, str] = {}

    def value(self, obj: FieldProblem, column: Column) -> Any:
        if column.name == "region_text":
            return region_label(obj.unit.region, self.labels)
        return super().value(obj, column)


class ProblemListView(ObjectListView):
    """The problems of one run (``runs/<pk>/problems/``): filters, severity counts, bulk actions."""

    queryset = FieldProblem.objects.all()
    filterset_class = ProblemFilterSet
    table_class = ProblemTable
    paginate_by = PAGE_SIZE
    template_name = "checkup/problem_list.html"
    url_base = "checkup:problem"
    export_filename = "现场问题.xlsx"

    def get_queryset(self, request: HttpRequest):
        self.run = _run(self.kwargs["pk"])
        return problem_queryset(self.run)

    def get_list_url(self) -> str:
        return reverse("checkup:problem_list", args=[self.kwargs["pk"]])

    def filter_queryset(self, request: HttpRequest, qs):
        fs = ProblemFilterSet(request.GET, queryset=qs, run=self.run)
        return fs, fs.qs

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        run, qs, page = self.run, kwargs["queryset"], kwargs["page"]
        labels: dict[int, str] = {}
        for p in page.object_list:
            p.region_text = region_label(p.unit.region, labels)
        user = request.user
        return {
            "run": run, "total": page.paginator.count,
            "severity_counts": {label: qs.filter(severity=s).count() for s, label in Severity.choices},
            "can_manage": services.can_manage_city(user, run.city),
            "can_record": services.can_record_problems(user, run),
            "severity_source": SEVERITY_SOURCE,
        }


class ProblemCreateView(LoginRequiredMixin, View):
    template_name = "checkup/problem_form.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = _run(pk)
        if not services.can_record_problems(request.user, run):
            return forbidden(request, "只有调查员、区级编辑和市级管理员可以记录现场问题。")
        initial = {k: request.GET[k] for k in ("unit", "indicator") if request.GET.get(k)}
        return render(request, self.template_name, {"run": run, "form": FieldProblemForm(run=run, initial=initial, user=request.user)})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = _run(pk)
        form = FieldProblemForm(request.POST, request.FILES, run=run, user=request.user)
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


class ProblemDetailView(ObjectView):
    queryset = FieldProblem.objects.select_related(
        "run__city", "indicator", "sub_problem", "unit__parent", "unit__region", "project",
        "remediation_task__organisation", "recorded_by")
    template_name = "checkup/problem_detail.html"
    url_base = "checkup:problem"

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        p = kwargs["object"]
        return {"problem": p, "run": p.run, "photos": p.photos.all(), "chain": [p.unit, *p.unit.ancestors()],
                "region_text": region_label(p.unit.region),
                "can_manage": services.can_manage_city(request.user, p.run.city),
                "severity_source": SEVERITY_SOURCE}


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

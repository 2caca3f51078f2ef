"""Department tasks (部门填报任务): template, upload, values, evidence, submit → return/accept."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from cityrenew.core.concurrency import StaleObjectError, stale_message
from cityrenew.core.xlsx import xlsx_response

from .. import services
from ..choices import (
    TaskStatus,
)
from ..forms import (
    EvidenceForm,
    ReturnForm,
    TaskDeadlineForm,
    TemplateUploadForm,
    ValueEntryForm,
)
from ..models import (
    AssessmentUnit,
    DepartmentTask,
    Evidence,
    IndicatorValue,
    value_as_text,
)
from .common import _error_text, _task, forbidden

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
        "can_manage": services.can_manage_city(user, task.run.city),
        "deadline_form": TaskDeadlineForm(initial={"deadline": task.deadline}),
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


class _Stale(Exception):
    """Some values changed since the page was opened: roll the whole entry back."""


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
        stale: list[str] = []
        try:
            with transaction.atomic():
                for s in slots:
                    value = form.cleaned_data.get(s["key"])
                    if value is None:
                        continue
                    if s["value"] is not None and s["value"].value == value:
                        continue
                    # the version the user saw ("" = no value yet); absent for clients that do not send it
                    seen = request.POST.get("rv_" + s["key"])
                    expected = int(seen) if seen and seen.isdigit() else None
                    if seen == "" and s["value"] is not None:  # someone entered a value since
                        stale.append(stale_message(s["value"], 0))
                        continue
                    try:
                        services.set_value(task, s["indicator"], s["unit"], value, request.user,
                                           expected_version=expected if s["value"] is not None else None)
                    except StaleObjectError as exc:
                        stale.append(stale_message(s["value"], exc.expected))
                        continue
                    changed += 1
                if stale:
                    raise _Stale()
        except services.CheckupError as exc:
            form.add_error(None, _error_text(exc))
            return render(request, "checkup/task_detail.html", task_context(request, task, value_form=form), status=400)
        except _Stale:
            for message in stale:
                form.add_error(None, message)
            # nothing saved; the user's input is kept and the hidden versions are the current ones
            return render(request, "checkup/task_detail.html", task_context(request, task, value_form=form), status=409)
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


class TaskDeadlineView(LoginRequiredMixin, View):
    """City admins move one task's 填报截止日期."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        task = _task(pk)
        if not services.can_manage_city(request.user, task.run.city):
            return forbidden(request, f"只有{task.run.city.display_name}的市级管理员可以调整填报截止日期。")
        form = TaskDeadlineForm(request.POST)
        if not form.is_valid():
            return render(request, "checkup/task_detail.html", task_context(request, task, deadline_form=form), status=400)
        services.set_task_deadline(task, request.user, form.cleaned_data["deadline"])
        d = form.cleaned_data["deadline"]
        messages.success(request, f"填报截止日期已改为 {d:%Y-%m-%d}" if d else "已取消填报截止日期")
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

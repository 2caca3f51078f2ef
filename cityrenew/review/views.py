"""Pages of the joint review (/plans/review/…): the department queue of review records, a record with its
opinion form, a round with the authority's decision, the city's matrix and due period, the districts'
department mappings. Every write goes through ``services`` (Chinese refusals, field rules, audit)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from cityrenew.core import fieldrules
from cityrenew.core.audit import actor
from cityrenew.core.generic import (
    Column,
    ObjectDeleteView,
    ObjectEditView,
    ObjectListView,
    ObjectView,
    Table,
)
from cityrenew.core.permissions import can_edit_regions, is_city_admin
from cityrenew.core.uploads import attachment_response
from cityrenew.core.views import forbidden
from cityrenew.plans.choices import PlanState
from cityrenew.plans.workflow import TRANSITIONS, TransitionError, transition

from . import services
from .choices import RoundStatus
from .filtersets import ReviewDepartmentFilterSet, ReviewRecordFilterSet
from .forms import OpinionForm, ReviewDepartmentForm, ReviewSettingsForm
from .matrix import packaged_matrix
from .models import ReviewDepartment, ReviewRecord, ReviewSettings

DECISIONS = (PlanState.APPROVED, PlanState.REVISION, PlanState.NOT_APPROVED)


def _due_text(rec: ReviewRecord) -> str:
    if rec.due_date is None:
        return "未设期限"
    return f"{rec.due_date:%Y-%m-%d}（已逾期）" if rec.overdue else f"{rec.due_date:%Y-%m-%d}"


class RecordTable(Table):
    columns = [
        Column("plan", "实施方案", accessor=lambda r: f"{r.round.plan.code} {r.round.plan.title}", order_by="round__plan__code"),
        Column("item_title", "审查事项", order_by="item_title", link=True),
        Column("department_name", "审查部门", order_by="department_key"),
        Column("organisation", "承担组织", accessor=lambda r: r.organisation or "未指定"),
        Column("round", "轮次", accessor=lambda r: f"第{r.round.number}轮·{r.round.get_status_display()}"),
        Column("opinion", "审查意见", accessor=lambda r: r.get_opinion_display() or "待出具", order_by="opinion"),
        Column("due_date", "审查期限", accessor=_due_text, order_by="due_date"),
        Column("basis", "依据", accessor=lambda r: r.where),
    ]


class RecordListView(ObjectListView):
    """联合审查 · 审查事项: a department sees its own queue, the authority its districts' records."""

    queryset = ReviewRecord.objects.all()
    list_url_name = "review:record_list"
    filterset_class = ReviewRecordFilterSet
    table_class = RecordTable
    template_name = "review/reviewrecord_list.html"

    def get_queryset(self, request):
        return services.visible_records(request.user).order_by("-round__started_at", "round__plan__code", "id")

    def can_add(self, request):
        return False

    def get_extra_context(self, request, **kwargs):
        mine = services.reviewer_organisations(request.user)
        return {"is_department": bool(mine), "can_configure": is_city_admin(request.user) or request.user.is_superuser}


class RecordView(ObjectView):
    """One review record: the matter, its article, the opinion form for the department, attachments, history."""

    queryset = ReviewRecord.objects.select_related("round__plan__district", "organisation", "answered_by")
    template_name = "review/reviewrecord.html"
    list_url_name = "review:record_list"

    def get_queryset(self, request):
        return services.visible_records(request.user).select_related("answered_by")

    def can_edit(self, request, obj):
        return False

    def can_delete(self, request, obj):
        return False

    def get_extra_context(self, request, **kwargs):
        rec = kwargs["object"]
        may_answer = (rec.organisation_id in services.reviewer_organisations(request.user)
                      and rec.round.status == RoundStatus.OPEN and rec.round.plan.state == PlanState.JOINT_REVIEW)
        form = kwargs.get("form") or OpinionForm(initial={"opinion": rec.opinion, "conditions": rec.conditions,
                                                          "reasons": rec.reasons})
        return {"record": rec, "may_answer": may_answer, "form": form, "attachments": rec.attachments.all(),
                "error": kwargs.get("error", "")}

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        rec = get_object_or_404(ReviewRecord.objects.select_related("round__plan__district", "organisation"), pk=pk)
        form = OpinionForm(request.POST, request.FILES)
        error = ""
        if form.is_valid():
            try:
                with actor(request.user, "web"):
                    services.give_opinion(rec, request.user, form.cleaned_data["opinion"],
                                          conditions=form.cleaned_data["conditions"], reasons=form.cleaned_data["reasons"],
                                          files=form.cleaned_data["files"], description=form.cleaned_data["description"])
            except services.ReviewError as exc:
                error = str(exc)
            else:
                messages.success(request, f"已出具审查意见：{rec.item_title} · {rec.get_opinion_display()}")
                return redirect(rec.get_absolute_url())
        else:
            error = "；".join(e for errs in form.errors.values() for e in errs)
        rec = ReviewRecord.objects.select_related("round__plan__district", "organisation").get(pk=pk)  # as stored
        if not services.visible_records(request.user).filter(pk=pk).exists():
            return forbidden(request, error or "无权查看该审查记录", back_url=reverse("review:record_list"), back_label="返回审查事项")
        self.kwargs = {"pk": pk}
        ctx = self.base_context() | {"object": rec, "fields": [], "history": [], "can_edit": False, "can_delete": False}
        ctx.update(self.get_extra_context(request, object=rec, form=form, error=error))
        return render(request, self.get_template_names(), ctx, status=400)


class RoundView(LoginRequiredMixin, View):
    """A round: every record by department with its article, the authority's decision and added items."""

    def _round(self, request, pk):
        return get_object_or_404(services.visible_rounds(request.user), pk=pk)

    def _ctx(self, request, rnd, **extra):
        plan = rnd.plan
        authority = services.is_authority(request.user, plan)
        records = list(rnd.records.select_related("organisation").order_by("id"))
        decisions = []
        if authority and rnd.status == RoundStatus.OPEN and plan.state == PlanState.JOINT_REVIEW:
            decisions = [TRANSITIONS[(PlanState.JOINT_REVIEW, t)] for t in DECISIONS]
        return {"round": rnd, "plan": plan, "records": records, "authority": authority, "decisions": decisions,
                "guard": services.approval_guard(plan) if rnd.status == RoundStatus.OPEN else "",
                "addable": services.addable_items(rnd) if authority and rnd.status == RoundStatus.OPEN else [],
                "others": plan.review_rounds.exclude(pk=rnd.pk).order_by("number"),
                "answered": sum(1 for r in records if r.opinion), "citation": services.OPINION_ISSUED,
                "review_content": services.REVIEW_CONTENT, **extra}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        rnd = self._round(request, pk)
        return render(request, "review/reviewround.html", self._ctx(request, rnd))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        rnd = self._round(request, pk)
        action = request.POST.get("action", "")
        try:
            with actor(request.user, "web"):
                if action == "add_items":
                    added = services.add_items(rnd, request.POST.getlist("items"), request.user)
                    messages.success(request, f"已增加审查事项：{'、'.join(r.item_title for r in added)}")
                elif action == "remove_item":
                    rid = request.POST.get("record", "")
                    rec = get_object_or_404(rnd.records, pk=int(rid) if rid.isdigit() else 0)
                    services.remove_item(rec, request.user)
                    messages.success(request, f"已移除审查事项：{rec.item_title}")
                elif action in DECISIONS:
                    move = TRANSITIONS[(PlanState.JOINT_REVIEW, action)]
                    transition(rnd.plan, action, user=request.user, note=request.POST.get("note", "").strip())
                    messages.success(request, f"实施方案{rnd.plan.code}：{move.label}")
                else:
                    raise services.ReviewError("未知的操作")
        except (services.ReviewError, TransitionError) as exc:
            rnd = self._round(request, pk)
            return render(request, "review/reviewround.html", self._ctx(request, rnd, error=str(exc)), status=400)
        return redirect(rnd.get_absolute_url())


class RoundOpinionView(LoginRequiredMixin, View):
    """The combined opinion (联合审查意见.docx) of an approved round."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        rnd = get_object_or_404(services.visible_rounds(request.user), pk=pk)
        if not rnd.opinion_file:
            raise Http404("本轮联合审查尚未出具联合审查意见")
        return attachment_response(rnd.opinion_file.path, f"{rnd.plan.code}联合审查意见（第{rnd.number}轮）.docx")


class PlanRoundsView(LoginRequiredMixin, View):
    """/plans/review/plan/<code>/: the plan's latest round (the link the plan's page uses)."""

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        rnd = services.visible_rounds(request.user).filter(plan__code=code).order_by("-number").first()
        if rnd is None:
            raise Http404("该实施方案尚未开展联合审查，或您无权查看")
        return redirect(rnd.get_absolute_url())


class SettingsView(LoginRequiredMixin, View):
    """本市联合审查配置: the matrix in force (with citations) and the due period; 市级管理员 edits (audited)."""

    def _city(self, request):
        from cityrenew.ledgertasks.services import city_of

        city = city_of(request.user)
        if city is None:
            raise Http404("尚未加载行政区划")
        return city

    def _ctx(self, request, city, form, **extra):
        conf = services.settings_for(city)
        district = city.children.filter(level="district").first() or city
        return {"city": city, "form": form, "conf": conf, "matrix": services.matrix_for(district),
                "packaged": packaged_matrix(), "can_edit": is_city_admin(request.user) or request.user.is_superuser,
                "no_limit": services.NO_TIME_LIMIT, **extra}

    def get(self, request: HttpRequest) -> HttpResponse:
        city = self._city(request)
        conf = services.settings_for(city) or ReviewSettings(city=city)
        return render(request, "review/settings.html", self._ctx(request, city, ReviewSettingsForm(instance=conf)))

    def post(self, request: HttpRequest) -> HttpResponse:
        city = self._city(request)
        if not (is_city_admin(request.user) or request.user.is_superuser):
            return forbidden(request, "无权修改联合审查配置：只有市级管理员可以修改。", back_url=reverse("review:settings"),
                             back_label="返回联合审查配置")
        conf = services.settings_for(city) or ReviewSettings(city=city)
        form = ReviewSettingsForm(request.POST, instance=conf)
        if not form.is_valid():
            return render(request, "review/settings.html", self._ctx(request, city, form), status=400)
        try:
            fieldrules.check_fields(request.user, conf if conf.pk else ReviewSettings,
                                    form.changed_data + ([] if conf.pk else ["city"]))
        except PermissionDenied as exc:
            return forbidden(request, str(exc), back_url=reverse("review:settings"), back_label="返回联合审查配置")
        with actor(request.user, "web"):
            form.save()
        messages.success(request, f"已保存{city.display_name}的联合审查配置")
        return redirect("review:settings")


# --- the districts' departments (generic pages) ---------------------------------------------------

class DepartmentTable(Table):
    columns = [
        Column("district", "所在区", order_by="district__code"),
        Column("key", "矩阵部门", accessor=lambda d: d.department_name, order_by="key", link=True),
        Column("organisation", "承担审查的组织", order_by="organisation__name"),
    ]


class DepartmentBase:
    queryset = ReviewDepartment.objects.select_related("district", "organisation")
    url_base = "review:reviewdepartment"


class DepartmentListView(DepartmentBase, ObjectListView):
    filterset_class = ReviewDepartmentFilterSet
    table_class = DepartmentTable


class DepartmentView(DepartmentBase, ObjectView):
    detail_fields = ["district", "key", "organisation"]


class DepartmentEditView(DepartmentBase, ObjectEditView):
    form_class = ReviewDepartmentForm

    def save(self, request, form, formsets):
        with actor(request.user, "web"):
            obj = form.save()
            n = services.assign_open_records(obj)
        if n:
            messages.info(request, f"审查中的{n}项审查事项已交由{obj.organisation}审查")
        return obj

    def can_add(self, request):
        from cityrenew.core.permissions import can_edit_any

        return can_edit_any(request.user)

    def post(self, request, **kwargs):
        district = request.POST.get("district")
        if "pk" not in kwargs and district and district.isdigit() and not can_edit_regions(request.user, [int(district)]):
            return self.forbidden(request, "无权为该区指定联审部门：超出您的授权区划范围。")
        return super().post(request, **kwargs)


class DepartmentDeleteView(DepartmentBase, ObjectDeleteView):
    pass


def department_urls():
    from cityrenew.core.generic import object_urls

    return object_urls("reviewdepartment", list_view=DepartmentListView, detail_view=DepartmentView,
                       edit_view=DepartmentEditView, delete_view=DepartmentDeleteView)

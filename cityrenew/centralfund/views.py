"""Pages of the central-fund application and selection (``/funding/central/``).

The application's page (generic :class:`ObjectView`) holds the city's work: the eligibility gate, flagship
and mechanism items, the electronic package, and the W1 moves the user may make; each form posts to a
small view that checks the actor and the state, writes in one transaction (audited) and returns to the
page with a Chinese message. The selection round's page is the ministry's: scores → defence list →
combined scores → publicity → confirmed / disqualified.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from cityrenew.core.choices import Role
from cityrenew.core.generic.tables import Column, Table
from cityrenew.core.generic.views import ObjectEditView, ObjectListView, ObjectView
from cityrenew.core.views import forbidden

from . import rules, services
from .caps import region_of
from .choices import ApplicationState, CandidateStatus, Condition, RoundStage
from .forms import (
    ApplicationForm,
    CapRegionForm,
    ConditionForm,
    FileForm,
    FlagshipForm,
    MechanismForm,
    RoundForm,
    ScoresUploadForm,
)
from .models import Application, Candidate, EligibilityCondition, ProvinceCapRegion, SelectionRound
from .permissions import CITY, actors_of, can_edit_caps, can_read, can_read_rounds, is_ministry, readable_applications
from .workflow import TRANSITIONS, TransitionError, gate_problems, moves_for, transition


class ApplicationTable(Table):
    columns = [
        Column("city", "申报城市", order_by="city__name", link=True),
        Column("year", "年度", order_by="year"),
        Column("province", "省份", accessor=lambda a: a.province_name),
        Column("state", "状态", order_by="state"),
        Column("requested_subsidy", "申请中央补助（亿元）", css="num"),
    ]


class IndexView(ObjectListView):
    """申报列表, with the selection rounds and the cap table linked."""

    queryset = Application.objects.select_related("city", "city__parent")
    table_class = ApplicationTable
    template_name = "centralfund/index.html"
    url_base = "centralfund:application"
    list_url_name = "centralfund:index"

    def get_queryset(self, request):
        return readable_applications(request.user)

    def can_add(self, request):
        return bool(request.user.is_superuser) or any(ra.role == Role.CITY_ADMIN for ra in _roles(request.user))

    def get_extra_context(self, request, **kwargs):
        return {"rounds": SelectionRound.objects.all() if can_read_rounds(request.user) else [], "is_ministry": is_ministry(request.user),
                "cap_source": rules.CAP_SOURCE, "caps": rules.CAPS_YI, "region_labels": rules.REGION_LABELS}


def _roles(user):
    from cityrenew.core.permissions import roles_of

    return roles_of(user)


class ApplicationView(ObjectView):
    queryset = Application.objects.select_related("city", "city__parent")
    template_name = "centralfund/application.html"
    url_base = "centralfund:application"
    list_url_name = "centralfund:index"

    def can_view(self, request, obj=None):
        return obj is None or can_read(obj, request.user)

    def can_edit(self, request, obj):
        return obj.state == ApplicationState.DRAFT and CITY in actors_of(obj, request.user)

    def can_delete(self, request, obj):
        return False

    def get_extra_context(self, request, **kwargs):
        app = kwargs["object"]
        editable = self.can_edit(request, app)
        conditions = []
        for c in app.conditions.all():
            conditions.append({"obj": c, "form": ConditionForm(instance=c, user=request.user, prefix=f"c{c.condition}"),
                               "evidence": list(c.evidence())})
        try:
            cap = region_of(app.province_name)
        except ValueError:
            cap = None
        total = app.package_bytes()
        return {
            "editable": editable, "conditions": conditions, "gate_problems": gate_problems(app),
            "files": app.files.all(), "package_total": total, "package_limit": rules.PACKAGE_LIMIT_BYTES,
            "package_problem": rules.package_problem([total]), "package_source": rules.PACKAGE_SOURCE,
            "flagships": app.flagships.prefetch_related("projects"), "mechanisms": app.mechanisms.all(),
            "file_form": FileForm(user=request.user), "flagship_form": FlagshipForm(user=request.user, city=app.city),
            "mechanism_form": MechanismForm(user=request.user), "moves": moves_for(app, request.user),
            "transitions": app.transitions.select_related("user"), "cap": cap, "gate_source": rules.GATE_SOURCE,
            "candidate": getattr(app, "candidate", None),
        }


class ApplicationEditView(ObjectEditView):
    queryset = Application.objects.select_related("city", "city__parent")
    form_class = ApplicationForm
    url_base = "centralfund:application"
    list_url_name = "centralfund:index"

    def can_add(self, request):
        return bool(request.user.is_superuser) or any(ra.role == Role.CITY_ADMIN for ra in _roles(request.user))

    def can_edit(self, request, obj):
        return obj.state == ApplicationState.DRAFT and CITY in actors_of(obj, request.user)

    def denial_message(self, action, obj=None):
        if obj is not None and obj.state != ApplicationState.DRAFT:
            return f"{obj}状态为“{obj.get_state_display()}”，只有编制中的申报可以修改"
        return super().denial_message(action, obj)

    def save(self, request, form, formsets):
        created = form.instance.pk is None
        obj = form.save()  # the form offers only the cities the user administers
        if created:
            for cond in Condition:
                EligibilityCondition.objects.create(application=obj, condition=cond.value)
        return obj


class _AppAction(LoginRequiredMixin, View):
    """A POST on an application: checks it is the city's to edit (编制中) unless ``any_state``."""

    any_state = False

    def post(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        app = get_object_or_404(Application.objects.select_related("city", "city__parent"), pk=pk)
        if not self.any_state:
            if CITY not in actors_of(app, request.user):
                return forbidden(request, f"无权修改{app}：只有该城市的市级管理员可以填写申报", back_url=app.get_absolute_url())
            if app.state != ApplicationState.DRAFT:
                messages.error(request, f"{app}状态为“{app.get_state_display()}”，只有编制中的申报可以修改")
                return redirect(app)
        try:
            with transaction.atomic():
                self.act(request, app, **kwargs)
        except TransitionError as exc:
            messages.error(request, str(exc))
        return redirect(app.get_absolute_url() + getattr(self, "anchor", ""))

    def act(self, request, app, **kwargs):  # pragma: no cover - overridden
        raise NotImplementedError


def _form_errors(form) -> str:
    return "；".join(f"「{form.fields[k].label if k in form.fields else ''}」{'、'.join(v)}" if k != "__all__" else "、".join(v)
                    for k, v in form.errors.items())


class ConditionView(_AppAction):
    anchor = "#gate"

    def act(self, request, app, condition):
        cond = get_object_or_404(EligibilityCondition, application=app, condition=condition)
        form = ConditionForm(request.POST, instance=cond, user=request.user, prefix=f"c{condition}")
        if form.is_valid():
            form.save()
            messages.success(request, f"已保存基础条件{condition}")
        else:
            messages.error(request, f"基础条件{condition}未保存：{_form_errors(form)}")


class FileView(_AppAction):
    anchor = "#package"

    def act(self, request, app):
        form = FileForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            messages.error(request, f"材料未保存：{_form_errors(form)}")
            return
        obj = form.save(commit=False)
        obj.application, obj.uploaded_by = app, request.user
        total = app.package_bytes() + obj.size
        problem = rules.package_problem([total])
        if problem:
            messages.error(request, f"材料“{obj.name}”未保存：加入后{problem}")
            return
        obj.save()
        messages.success(request, f"已加入材料“{obj.name}”")


class FlagshipView(_AppAction):
    anchor = "#flagships"

    def act(self, request, app):
        form = FlagshipForm(request.POST, user=request.user, city=app.city)
        if form.is_valid():
            obj = form.save(commit=False)
            obj.application = app
            obj.save()
            form.save_m2m()
            messages.success(request, f"已加入{obj.get_kind_display()}“{obj.name}”")
        else:
            messages.error(request, f"样板项目/片区未保存：{_form_errors(form)}")


class MechanismView(_AppAction):
    anchor = "#mechanisms"

    def act(self, request, app):
        form = MechanismForm(request.POST, user=request.user)
        if form.is_valid():
            obj = form.save(commit=False)
            obj.application = app
            obj.save()
            messages.success(request, f"已加入机制建设事项“{obj.name}”")
        else:
            messages.error(request, f"机制建设事项未保存：{_form_errors(form)}")


class TransitionView(_AppAction):
    any_state = True

    def act(self, request, app):
        target = request.POST.get("target", "")
        move = TRANSITIONS.get((app.state, target))
        transition(app, target, user=request.user, note=request.POST.get("note", ""))
        messages.success(request, f"{app}：已{move.label}")


# --- the ministry's side -----------------------------------------------------------------------------

class RoundEditView(ObjectEditView):
    queryset = SelectionRound.objects.all()
    form_class = RoundForm
    url_base = "centralfund:round"
    list_url_name = "centralfund:index"

    def can_add(self, request):
        return is_ministry(request.user)

    def can_edit(self, request, obj):
        return is_ministry(request.user) and obj.stage == RoundStage.WRITTEN


class RoundView(ObjectView):
    queryset = SelectionRound.objects.all()
    template_name = "centralfund/round.html"
    url_base = "centralfund:round"
    list_url_name = "centralfund:index"

    def can_view(self, request, obj=None):
        return can_read_rounds(request.user)

    def denial_message(self, action, obj=None):
        return "遴选得分仅供财政部、住房城乡建设部和省、市级管理员查看"

    def can_edit(self, request, obj):
        return is_ministry(request.user) and obj.stage == RoundStage.WRITTEN

    def can_delete(self, request, obj):
        return False

    def get_extra_context(self, request, **kwargs):
        rnd = kwargs["object"]
        return {"candidates": rnd.candidates.select_related("application").order_by("rank", "-written_score", "id"),
                "is_ministry": is_ministry(request.user), "upload_form": ScoresUploadForm(), "S": CandidateStatus,
                "stage": RoundStage, "shortlist_source": rules.SHORTLIST_SOURCE, "combined_source": rules.COMBINED_SOURCE,
                "weights": services.defence_weight_text(rnd), "one_source": rules.ONE_PER_PROVINCE_SOURCE}


class RoundAction(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        rnd = get_object_or_404(SelectionRound, pk=pk)
        try:
            if action == "scores":
                form = ScoresUploadForm(request.POST, request.FILES)
                if not form.is_valid():
                    raise services.SelectionError("请选择 CSV 文件")
                n = len(services.import_written_scores(rnd, form.cleaned_data["file"].read(), request.user))
                messages.success(request, f"已录入 {n} 个城市的书面评审得分")
            elif action == "shortlist":
                result = services.make_shortlist(rnd, request.user)
                extra = f"（与第 {result.size} 名同分一并进入：{'、'.join(result.tied_at_cut)}）" if result.tied_at_cut else ""
                messages.success(request, f"名额 {result.places} 个，{len(result.cities)} 个城市进入现场答辩{extra}")
            elif action == "defence":
                cand = get_object_or_404(Candidate, pk=request.POST.get("candidate"), round=rnd)
                services.record_defence_score(cand, request.POST.get("score", ""), request.user)
                messages.success(request, f"已录入{cand.city}的现场答辩得分")
            elif action == "select":
                services.select(rnd, request.user)
                messages.success(request, "已按综合得分确定入围城市")
            elif action == "publicity":
                end = request.POST.get("publicity_end") or None
                services.start_publicity(rnd, dt.date.fromisoformat(end) if end else None, request.user)
                messages.success(request, "入围城市已进入公示")
            elif action in ("confirm", "disqualify"):
                cand = get_object_or_404(Candidate, pk=request.POST.get("candidate"), round=rnd)
                if action == "confirm":
                    services.confirm(cand, request.user)
                    messages.success(request, f"{cand.city}公示无异议，已确定为支持城市")
                else:
                    services.disqualify(cand, request.POST.get("reason", ""), request.user)
                    messages.success(request, f"已取消{cand.city}的资格")
            else:
                return forbidden(request, "未知操作")
        except services.SelectionError as exc:
            messages.error(request, str(exc))
        except ValueError:
            messages.error(request, "公示截止日期格式不正确（应为 年-月-日）")
        return redirect(rnd)


# --- the province → region table ---------------------------------------------------------------------

class CapsView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        rows = [(r, CapRegionForm(instance=r, user=request.user, prefix=f"r{r.pk}")) for r in ProvinceCapRegion.objects.all()]
        return render(request, "centralfund/caps.html", {
            "rows": rows, "can_edit": can_edit_caps(request.user), "caps": rules.CAPS_YI,
            "labels": rules.REGION_LABELS, "cap_source": rules.CAP_SOURCE})

    def post(self, request: HttpRequest) -> HttpResponse:
        if not can_edit_caps(request.user):
            return forbidden(request, "只有市级管理员可以修改省份补助区域表")
        row = get_object_or_404(ProvinceCapRegion, pk=request.POST.get("row"))
        form = CapRegionForm(request.POST, instance=row, user=request.user, prefix=f"r{row.pk}")
        if form.is_valid():
            form.save()
            messages.success(request, f"已修改{row.province}：{row.get_region_display()}，上限 {row.cap_yi} 亿元")
        else:
            messages.error(request, f"{row.province}未保存：{_form_errors(form)}")
        return redirect("centralfund:caps")

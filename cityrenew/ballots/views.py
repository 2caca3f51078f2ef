"""Staff pages of owners' votes (/plans/votes/): list, create/edit, the register, codes and letters, paper
ballots, turnout while open, and after close the result, the ballot list and the certificate.

Who may do what: the plan's actors (``plans.workflow.actors_of``: its 实施主体填报员, the district's authority,
市级管理员) organise the vote; users with a role over the plan's district may read the page. Nobody sees a
choice before close (see ``services``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views import View

from cityrenew.core import permissions
from cityrenew.core.choices import Role
from cityrenew.core.generic import Column, ObjectDeleteView, ObjectEditView, ObjectListView, ObjectView, Table
from cityrenew.core.views import forbidden
from cityrenew.plans.workflow import actors_of

from . import services
from .choices import ELEVATOR_RULE, ELEVATOR_THRESHOLDS, Matter
from .documents import certificate_docx, letters_docx
from .forms import PaperBallotForm, RegisterForm, ReissueForm, VoteForm
from .models import Vote

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def can_manage(user: Any, vote: Vote) -> bool:
    return bool(actors_of(vote.plan, user))


def can_read(user: Any, vote: Vote) -> bool:
    if can_manage(user, vote):
        return True
    ids = permissions.region_ids_for(user, list(Role.values))
    return ids is None or vote.plan.district_id in ids


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    resp = HttpResponse(data, content_type=content_type)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    resp["Cache-Control"] = "private, no-store"
    return resp


def _plan_url(vote: Vote) -> str:
    """The plan's page, when the plans app serves one."""
    try:
        return vote.plan.get_absolute_url()
    except NoReverseMatch:
        return ""


class VoteTable(Table):
    columns = [
        Column("title", "表决事项", order_by="title", link=True),
        Column("plan", "实施方案", accessor=lambda v: str(v.plan)),
        Column("matter", "事项类型", accessor=lambda v: v.get_matter_display()),
        Column("opens_at", "开始时间", order_by="opens_at"),
        Column("closes_at", "截止时间", order_by="closes_at"),
        Column("status", "状态", accessor=lambda v: v.status_label),
    ]


class Base:
    queryset = Vote.objects.select_related("plan", "plan__district", "plan__entity")

    def can_view(self, request: HttpRequest, obj: Vote | None = None) -> bool:
        return request.user.is_authenticated and (obj is None or can_read(request.user, obj))

    def can_add(self, request: HttpRequest) -> bool:
        from cityrenew.core.fieldrules import roles_held

        return request.user.is_superuser or bool(roles_held(request.user) & {Role.ENTITY_EDITOR, Role.DISTRICT_EDITOR, Role.CITY_ADMIN})

    def can_edit(self, request: HttpRequest, obj: Vote) -> bool:
        return can_manage(request.user, obj) and not obj.is_closed()

    def can_delete(self, request: HttpRequest, obj: Vote) -> bool:
        # a vote whose codes are out cannot disappear: owners hold letters for it
        return can_manage(request.user, obj) and not obj.units.exclude(code_hash="").exists()

    def denial_message(self, action: str, obj: Vote | None = None) -> str:
        if action == "edit" and obj is not None and obj.is_closed():
            return f"业主表决“{obj.title}”已截止，不能再修改"
        if action == "delete" and obj is not None and can_manage(self.request.user, obj):
            return f"业主表决“{obj.title}”已发放表决码，不能删除（业主手中已有告知书）"
        return f"无权{ {'view': '查看', 'add': '新建', 'edit': '修改'}.get(action, action)}业主表决：仅该实施方案的实施主体、所在区城市更新主管部门和市级管理员可以组织表决"


class VoteListView(Base, ObjectListView):
    table_class = VoteTable

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        user = request.user
        if user.is_superuser or permissions.is_city_admin(user):
            return qs
        ids = permissions.region_ids_for(user, list(Role.values)) or set()
        orgs = {r.organisation_id for r in permissions.roles_of(user) if r.role == Role.ENTITY_EDITOR}
        from django.db.models import Q

        return qs.filter(Q(plan__district_id__in=ids) | Q(plan__entity_id__in=orgs) | Q(plan__coordinator_id__in=orgs))


class VoteEditView(Base, ObjectEditView):
    form_class = VoteForm

    def get_form(self, request, obj, data=None, files=None):
        initial = {"plan": request.GET.get("plan")} if obj.pk is None and request.GET.get("plan", "").isdigit() else {}
        return self.form_class(data, files, instance=obj, user=request.user, initial=initial)

    def save(self, request, form, formsets):
        vote = form.save(commit=False)
        if vote.pk is None:
            if not actors_of(vote.plan, request.user):
                from django.core.exceptions import PermissionDenied

                raise PermissionDenied("无权为该实施方案组织业主表决")
            vote.created_by = request.user
        vote.save()
        return vote


class VoteDeleteView(Base, ObjectDeleteView):
    def delete_object(self, request: HttpRequest, obj: Vote) -> None:
        for unit in obj.units.all():  # each register row's removal audited too
            unit.delete()
        obj.delete()


class VoteView(Base, ObjectView):
    template_name = "ballots/vote.html"

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        vote: Vote = kwargs["object"]
        manage = can_manage(request.user, vote)
        ctx: dict[str, Any] = {
            "manage": manage, "now": timezone.now(), "turnout": services.turnout(vote), "plan_url": _plan_url(vote),
            "units": vote.units.all()[:500], "unit_count": vote.units.count(),
            "codes_missing": vote.units.filter(code_hash="").count(),
            "public_url": request.build_absolute_uri(reverse("vote:detail", args=[vote.pk])),
            "elevator": vote.matter == Matter.ELEVATOR, "elevator_rule": ELEVATOR_RULE,
            "elevator_thresholds": ELEVATOR_THRESHOLDS,
        }
        if vote.is_closed():
            try:
                ctx["vote_result"] = services.finalize(vote).result
                ctx["paper_ballots"] = vote.ballots.filter(source="paper").select_related("via_unit")
            except services.VoteError as exc:
                ctx["tally_error"] = str(exc)
        elif manage:
            ctx["register_form"] = RegisterForm()
            ctx["paper_form"] = PaperBallotForm(vote=vote)
            ctx["reissue_form"] = ReissueForm(vote=vote)
        return ctx


class VoteActionView(LoginRequiredMixin, View):
    """Base of the POST actions on one vote: the vote, the actor check, VoteError → message."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.vote = get_object_or_404(Vote.objects.select_related("plan", "plan__entity"), pk=kwargs["pk"])
        if not self.allowed(request):
            return forbidden(request, "无权操作业主表决：仅该实施方案的实施主体、所在区城市更新主管部门和市级管理员可以组织表决",
                             back_url=self.vote.get_absolute_url(), back_label="返回表决")
        return super().dispatch(request, *args, **kwargs)

    def allowed(self, request: HttpRequest) -> bool:
        return can_manage(request.user, self.vote)

    def back(self) -> HttpResponse:
        return redirect(self.vote.get_absolute_url())


class RegisterImportView(VoteActionView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = RegisterForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, "请选择业主名册文件")
            return self.back()
        try:
            n = services.import_register(self.vote, form.cleaned_data["file"])
        except services.VoteError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已导入业主名册：{n} 个专有部分")
        return self.back()


class IssueCodesView(VoteActionView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            issued = services.issue_codes(self.vote)
        except services.VoteError as exc:
            messages.error(request, str(exc))
            return self.back()
        if not issued:
            messages.error(request, "所有专有部分均已发放表决码；遗失的请逐户重新发放")
            return self.back()
        url = request.build_absolute_uri(reverse("vote:detail", args=[self.vote.pk]))
        return _download(letters_docx(self.vote, issued, url), f"vote-{self.vote.pk}-letters.docx", DOCX)


class ReissueCodeView(VoteActionView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = ReissueForm(request.POST, vote=self.vote)
        if not form.is_valid():
            messages.error(request, "请选择尚未使用表决码的专有部分")
            return self.back()
        try:
            issued = services.issue_codes(self.vote, [form.cleaned_data["unit"]])
        except services.VoteError as exc:
            messages.error(request, str(exc))
            return self.back()
        url = request.build_absolute_uri(reverse("vote:detail", args=[self.vote.pk]))
        return _download(letters_docx(self.vote, issued, url), f"vote-{self.vote.pk}-reissue.docx", DOCX)


class PaperBallotView(VoteActionView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = PaperBallotForm(request.POST, request.FILES, vote=self.vote)
        if not form.is_valid():
            messages.error(request, "纸质表决票：" + "；".join(f"{form.fields[f].label if f in form.fields else ''}{'：' if f in form.fields else ''}{'；'.join(e)}"
                                                       for f, e in form.errors.items()))
            return self.back()
        d = form.cleaned_data
        try:
            services.cast_paper(self.vote, d["unit"], d["choice"], d["scan"], request.user)
        except services.VoteError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已录入{d['unit'].label}（{d['unit'].person}）的纸质表决票")
        return self.back()


class BallotListView(VoteActionView):
    def allowed(self, request: HttpRequest) -> bool:
        return can_read(request.user, self.vote)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            data = services.ballot_list_csv(self.vote)
        except services.VoteError as exc:
            return forbidden(request, str(exc), back_url=self.vote.get_absolute_url(), back_label="返回表决")
        return _download(data, f"vote-{self.vote.pk}-ballots.csv", "text/csv; charset=utf-8")


class CertificateView(BallotListView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            data = certificate_docx(services.finalize(self.vote))
        except services.VoteError as exc:
            return forbidden(request, str(exc), back_url=self.vote.get_absolute_url(), back_label="返回表决")
        return _download(data, f"vote-{self.vote.pk}-certificate.docx", DOCX)

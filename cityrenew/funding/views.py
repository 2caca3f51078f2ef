"""Pages of project funding (资金): plan lines, a project's funding page, tranches and their reviews,
the double-funding list, the plan import. Lists and edit pages are the generic views of core/generic."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from cityrenew.core.audit import display_entries
from cityrenew.core.generic import (
    Column,
    ObjectDeleteView,
    ObjectEditView,
    ObjectListView,
    Table,
)
from cityrenew.core.generic.views import BaseObjectView
from cityrenew.core.models import Region
from cityrenew.core.permissions import visible_history
from cityrenew.core.uploads import stash_upload, stashed_upload
from cityrenew.core.xlsx import xlsx_response
from cityrenew.projects.models import RenewalProject

from . import importer, permissions, services
from .filtersets import FundingLineFilterSet, TrancheFilterSet
from .forms import DecisionForm, FundingLineForm, FundingSettingsForm, ImportForm, TrancheForm
from .models import FundingLine, FundingSettings, Tranche


def _readable(user: Any, qs: QuerySet, path: str = "project__in") -> QuerySet:
    scope = permissions.readable_projects(user)
    return qs if scope is None else qs.filter(**{path: scope})


def _project_url(obj: Any) -> str:
    return reverse("funding:project", args=[obj.project.code])


class FundingLineTable(Table):
    columns = [
        Column("code", "项目编号", accessor="project.code", order_by="project__code", link=True),
        Column("name", "项目名称", accessor="project.name", order_by="project__name"),
        Column("year", "年度", order_by="year", css="num"),
        Column("channel", "资金渠道", order_by="channel"),
        Column("planned", "计划金额（万元）", order_by="planned", css="num"),
        Column("received", "到位金额（万元）", order_by="received", css="num"),
        Column("spent", "支出金额（万元）", order_by="spent", css="num"),
        Column("note", "说明"),
    ]


class FundingLineListView(ObjectListView):
    """资金计划：all plan lines the user may read, filtered, with totals of the filtered list."""

    queryset = FundingLine.objects.select_related("project")
    filterset_class = FundingLineFilterSet
    table_class = FundingLineTable
    template_name = "funding/fundingline_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return _readable(request.user, super().get_queryset(request))

    def can_add(self, request: HttpRequest) -> bool:
        return False  # lines are added from a project's funding page

    def object_url(self, obj: Any) -> str:
        return _project_url(obj)

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        totals = kwargs["queryset"].aggregate(planned=Sum("planned"), received=Sum("received"), spent=Sum("spent"))
        scope = permissions.readable_projects(request.user)
        return {"totals": totals, "flag_count": len(services.double_funded(scope)),
                "can_import": permissions.can_plan_any(request.user)}


class ProjectFundingView(BaseObjectView):
    """项目资金：the plan by year × channel with totals, the double-funding flag, the tranches."""

    queryset = RenewalProject.objects.all()
    lookup_field = lookup_url_kwarg = "code"
    list_url_name = "funding:fundingline_list"

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        project = self.get_object(request, code=code)
        if not permissions.can_read(request.user, project):
            return self.forbidden(request, f"无权查看项目 {project.code} 的资金：超出您的授权范围。")
        plan = services.plan_of(project)
        tranches = project.tranches.select_related("requested_by").order_by("-requested_at")
        return render(request, "funding/project_funding.html", {
            "project": project, "plan": plan, "flag": services.double_funding(project),
            "double_source": services.DOUBLE_FUNDING_SOURCE, "release_source": services.RELEASE_SOURCE,
            "tranches": tranches, "can_plan": permissions.can_plan(request.user, project),
            "can_request": permissions.can_request(request.user, project),
            "history": display_entries(self.plan_history(request, project)[:30]), "list_url": self.get_list_url(),
        })


    @staticmethod
    def plan_history(request: HttpRequest, project: RenewalProject) -> QuerySet:
        """Changes of the project's plan lines, deleted ones included (found by their project in object_repr)."""
        from django.contrib.contenttypes.models import ContentType

        from cityrenew.core.models import AuditLog

        ct = ContentType.objects.get_for_model(FundingLine)  # the caller has checked the user reads the project
        return (AuditLog.objects.filter(content_type=ct, object_repr__startswith=f"{project.code} ")
                .select_related("content_type", "user").order_by("-timestamp"))


class FundingLineEditView(ObjectEditView):
    """New plan line (``?project=<code>``) or edit one; audited, field rules, optimistic concurrency."""

    queryset = FundingLine.objects.select_related("project")
    form_class = FundingLineForm
    url_base = "funding:fundingline"
    list_url_name = "funding:fundingline_list"

    def _project(self, request: HttpRequest, obj: FundingLine) -> RenewalProject | None:
        if obj.pk:
            return obj.project
        code = request.GET.get("project") or request.POST.get("project_code") or ""
        return RenewalProject.objects.filter(code=code).first()

    def get_object(self, request: HttpRequest, **kwargs: Any) -> FundingLine:
        obj = super().get_object(request, **kwargs)
        if obj.pk is None:
            project = self._project(request, obj)
            if project is None:
                from django.http import Http404

                raise Http404("请从项目的资金页面新建资金计划（未指定项目或项目不存在）")
            obj.project = project
        return obj

    def can_add(self, request: HttpRequest) -> bool:
        project = RenewalProject.objects.filter(code=request.GET.get("project") or request.POST.get("project_code") or "").first()
        return project is not None and permissions.can_plan(request.user, project)

    def can_edit(self, request: HttpRequest, obj: FundingLine) -> bool:
        return permissions.can_plan(request.user, obj.project)

    def denial_message(self, action: str, obj: Any = None) -> str:
        return "无权修改该项目的资金计划：超出您的编辑范围。"

    def get_form(self, request: HttpRequest, obj: FundingLine, data: Any = None, files: Any = None) -> Any:
        return self.form_class(data, files, instance=obj, user=request.user, project=obj.project)

    def get_success_url(self, obj: FundingLine) -> str:
        return _project_url(obj)

    def get_list_url(self) -> str:
        return reverse("funding:fundingline_list")

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        obj = kwargs["object"]
        return {"project": obj.project, "object_url": _project_url(obj)}


class FundingLineDeleteView(ObjectDeleteView):
    queryset = FundingLine.objects.select_related("project")
    url_base = "funding:fundingline"
    list_url_name = "funding:fundingline_list"

    def can_delete(self, request: HttpRequest, obj: FundingLine) -> bool:
        return permissions.can_plan(request.user, obj.project)

    def delete_object(self, request: HttpRequest, obj: FundingLine) -> None:
        if obj.project.tranches.filter(channel=obj.channel, year=obj.year).exclude(state="rejected").exists():
            raise PermissionDenied("该资金计划已有拨付申请，不能删除；可修改金额。")
        obj.delete()

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        try:
            return super().post(request, **kwargs)
        except PermissionDenied as exc:
            return self.forbidden(request, str(exc))

    def get_list_url(self) -> str:
        return reverse("funding:fundingline_list")


# --- tranches ----------------------------------------------------------------------------------------

class TrancheTable(Table):
    columns = [
        Column("id", "编号", order_by="id", link=True),
        Column("code", "项目编号", accessor="project.code", order_by="project__code"),
        Column("name", "项目名称", accessor="project.name"),
        Column("year", "年度", order_by="year", css="num"),
        Column("channel", "资金渠道", order_by="channel"),
        Column("amount", "申请金额（万元）", order_by="amount", css="num"),
        Column("state", "状态", order_by="state"),
        Column("requested_by", "申请人", accessor=lambda t: (t.requested_by.get_full_name() or t.requested_by.username) if t.requested_by else ""),
        Column("requested_at", "申请时间", accessor=lambda t: t.requested_at.strftime("%Y-%m-%d %H:%M"), order_by="requested_at"),
    ]
    default_ordering = "-requested_at"


class TrancheListView(ObjectListView):
    """资金拨付申请；``?mine=1``: those waiting for the user's decision (the approver's queue)."""

    queryset = Tranche.objects.select_related("project", "requested_by")
    filterset_class = TrancheFilterSet
    table_class = TrancheTable
    template_name = "funding/tranche_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = _readable(request.user, super().get_queryset(request))
        if request.GET.get("mine"):
            qs = qs.filter(pk__in=[t.pk for t in permissions.pending_for(request.user, qs)])
        return qs

    def can_add(self, request: HttpRequest) -> bool:
        return False

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"mine": bool(request.GET.get("mine"))}


class TrancheView(BaseObjectView):
    """One tranche: its request, reviews, attachments, history, and the decision form for its approver."""

    queryset = Tranche.objects.select_related("project", "requested_by")
    list_url_name = "funding:tranche_list"

    def context(self, request: HttpRequest, tranche: Tranche, form: DecisionForm | None = None, error: str = "") -> dict[str, Any]:
        can_decide = permissions.can_decide(request.user, tranche)
        planned, left = services.remaining(tranche.project, tranche.channel, tranche.year, exclude=tranche)
        return {
            "object": tranche, "tranche": tranche, "reviews": tranche.reviews.select_related("user").prefetch_related("attachments"),
            "attachments": tranche.attachments.filter(review__isnull=True),
            "stage": permissions.stage_of(tranche), "can_decide": can_decide,
            "form": form or (DecisionForm() if can_decide else None), "error": error,
            "planned": planned, "left": left,
            "blockers": services.release_blockers(tranche) if tranche.state == "district_approved" else [],
            "finance_missing": (permissions.finance_not_set(tranche.project.city)
                                if tranche.state in ("district_approved", "approved") else ""),
            "history": display_entries(visible_history(request.user, tranche)[:50]),
            "release_source": services.RELEASE_SOURCE, "list_url": self.get_list_url(),
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        tranche = self.get_object(request, pk=pk)
        if not permissions.can_read(request.user, tranche.project):
            return self.forbidden(request, "无权查看该拨付申请：超出您的授权范围。")
        return render(request, "funding/tranche.html", self.context(request, tranche))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        tranche = self.get_object(request, pk=pk)
        if not permissions.can_decide(request.user, tranche):
            return self.forbidden(request, permissions.decision_denial(tranche))
        form = DecisionForm(request.POST, request.FILES)
        if permissions.stage_of(tranche) == "payment":
            form.fields["decision"].choices = [("approve", "登记已拨付")]
        if not form.is_valid():
            return render(request, "funding/tranche.html", self.context(request, tranche, form), status=400)
        try:
            review = services.decide(request.user, tranche, approve=form.cleaned_data["decision"] == "approve",
                                     comment=form.cleaned_data["comment"], files=form.cleaned_data["attachments"])
        except services.FundingError as exc:
            tranche.refresh_from_db()
            return render(request, "funding/tranche.html", self.context(request, tranche, form, exc.message), status=400)
        except PermissionDenied as exc:
            return self.forbidden(request, str(exc))
        messages.success(request, f"已{review.get_stage_display()}：{review.get_decision_display()}")
        return redirect(reverse("funding:tranche_detail", args=[tranche.pk]))


class TrancheRequestView(BaseObjectView):
    """申请拨付 for one project: refused beyond what the plan leaves, negative or zero — nothing saved."""

    queryset = RenewalProject.objects.all()
    lookup_field = lookup_url_kwarg = "code"
    list_url_name = "funding:tranche_list"

    def _page(self, request: HttpRequest, project: RenewalProject, form: TrancheForm, error: str = "", status: int = 200) -> HttpResponse:
        return render(request, "funding/tranche_request.html", {
            "project": project, "form": form, "error": error, "plan": services.plan_of(project),
            "release_source": services.RELEASE_SOURCE}, status=status)

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        project = self.get_object(request, code=code)
        if not permissions.can_request(request.user, project):
            return self.forbidden(request, f"无权为项目 {project.code} 申请拨付。")
        initial = {k: request.GET[k] for k in ("channel", "year") if k in request.GET}
        return self._page(request, project, TrancheForm(initial=initial))

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        project = self.get_object(request, code=code)
        if not permissions.can_request(request.user, project):
            return self.forbidden(request, f"无权为项目 {project.code} 申请拨付。")
        form = TrancheForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._page(request, project, form, status=400)
        d = form.cleaned_data
        try:
            t = services.request_tranche(request.user, project, channel=d["channel"], year=d["year"],
                                         amount_value=d["amount"], purpose=d["purpose"], files=d["attachments"])
        except services.FundingError as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, exc.message)
                return self._page(request, project, form, status=400)
            return self._page(request, project, form, exc.message, status=400)
        messages.success(request, f"已提交拨付申请：{t}")
        return redirect(reverse("funding:tranche_detail", args=[t.pk]))


# --- the double-funding list, import, template ------------------------------------------------------------

def double_funding_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    flags = services.double_funded(permissions.readable_projects(request.user))
    return render(request, "funding/double_funding.html", {"flags": flags, "source": services.DOUBLE_FUNDING_SOURCE})


def template_download(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    return xlsx_response(importer.template_workbook(), "资金计划导入模板.xlsx")


def export_lines(request: HttpRequest) -> HttpResponse:
    """The filtered plan lines in the template's layout (edit and import again)."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    qs = _readable(request.user, FundingLine.objects.select_related("project"))
    fs = FundingLineFilterSet(request.GET, queryset=qs, request=request)
    lines = fs.qs.order_by("project__code", "year", "channel")
    return xlsx_response(importer.export_workbook(lines), "资金计划.xlsx")


def import_view(request: HttpRequest) -> HttpResponse:
    """Upload → dry run with the report → confirm (the file kept under a random token)."""
    from cityrenew.core.views import forbidden

    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    if not permissions.can_plan_any(request.user):
        return forbidden(request, "无权导入资金计划：须为市级管理员或区级编辑。")
    form, report, token = ImportForm(), None, ""
    if request.method == "POST":
        token = request.POST.get("token", "")
        if token and request.POST.get("confirm"):
            path = stashed_upload("funding", token, (".xlsx", ".csv"))
            if path is None:
                messages.error(request, "试运行的文件已失效，请重新上传。")
                return redirect(reverse("funding:import"))
            with open(path, "rb") as fh:
                report = importer.import_lines(request.user, fh, dry_run=False)
            if report.ok:
                path.unlink(missing_ok=True)
                messages.success(request, report.summary)
                return redirect(reverse("funding:fundingline_list"))
        else:
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                token, path = stash_upload(upload, "funding")
                with open(path, "rb") as fh:
                    report = importer.import_lines(request.user, fh, dry_run=True)
    status = 400 if report is not None and not report.ok else 200
    return render(request, "funding/import.html", {"form": form, "report": report, "token": token}, status=status)


class FundingSettingsView(BaseObjectView):
    """本市财政审核部门 (``/funding/settings/?city=``): which organisations take the finance approval of the city's
    tranches. Everyone who reads funding sees it; the city's 市级管理员 (or a superuser) changes it, audited."""

    queryset = FundingSettings.objects.all()
    list_url_name = "funding:tranche_list"

    def _city(self, request: HttpRequest) -> Region:
        from cityrenew.ledgertasks.services import city_of

        raw = request.GET.get("city") or request.POST.get("city")
        city = Region.objects.filter(pk=raw, level="city").first() if str(raw or "").isdigit() else city_of(request.user)
        if city is None:
            raise Http404("尚未加载行政区划")
        return city

    @staticmethod
    def _cities(user: Any) -> list[Region]:
        """The cities whose setting ``user`` may look at (a province's or the ministry's users: several)."""
        from django.db.models import Q

        from cityrenew.core.permissions import roles_of

        qs = Region.objects.filter(level="city").order_by("code")
        if user.is_superuser:
            return list(qs)
        q = Q(pk__in=[])
        for ra in roles_of(user):
            q |= Q(path__startswith=ra.region.path)
        return list(qs.filter(q))

    @staticmethod
    def _may_edit(user: Any, city: Region) -> bool:
        from cityrenew.core.choices import Role
        from cityrenew.core.permissions import region_ids_for

        return user.is_superuser or city.pk in (region_ids_for(user, [Role.CITY_ADMIN]) or set())

    def _page(self, request: HttpRequest, city: Region, form: FundingSettingsForm, status: int = 200) -> HttpResponse:
        conf = FundingSettings.objects.filter(city=city).first()
        return render(request, "funding/settings.html", {
            "city": city, "form": form, "conf": conf, "can_edit": self._may_edit(request.user, city),
            "current": list(conf.finance_organisations.order_by("name")) if conf else [],
            "missing": permissions.finance_not_set(city), "cities": self._cities(request.user),
            "history": display_entries(visible_history(request.user, conf)[:30]) if conf else []}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?next={request.get_full_path()}")
        city = self._city(request)
        conf = FundingSettings.objects.filter(city=city).first()
        initial = {"finance_organisations": list(conf.finance_organisations.all()) if conf else []}
        return self._page(request, city, FundingSettingsForm(city=city, initial=initial))

    def post(self, request: HttpRequest) -> HttpResponse:
        from cityrenew.core import fieldrules
        from cityrenew.core.audit import actor

        if not request.user.is_authenticated:
            return redirect(reverse("login"))
        city = self._city(request)
        if not self._may_edit(request.user, city):
            return self.forbidden(request, f"无权修改{city.display_name}的财政审核部门：只有本市的市级管理员可以修改。")
        form = FundingSettingsForm(request.POST, city=city)
        if not form.is_valid():
            return self._page(request, city, form, status=400)
        conf = FundingSettings.objects.filter(city=city).first()
        try:
            fieldrules.check_fields(request.user, conf or FundingSettings,
                                    ["finance_organisations"] + ([] if conf else ["city"]))
        except PermissionDenied as exc:
            return self.forbidden(request, str(exc))
        with actor(request.user, "web"), transaction.atomic():
            if conf is None:
                conf = FundingSettings.objects.create(city=city)
            conf.finance_organisations.set(form.cleaned_data["finance_organisations"])
            conf.save()
        names = "、".join(o.name for o in form.cleaned_data["finance_organisations"]) or "（未指定）"
        messages.success(request, f"已保存{city.display_name}的财政审核部门：{names}")
        return redirect(f"{reverse('funding:settings')}?city={city.pk}")

"""Pages of implementation plans (实施方案), on the generic object views: list (filters, xlsx export),
detail (materials checklist, versions, revision rounds, expert reviews, permits, land deadlines, the
timeline of transitions with the article of each move, and buttons only for the moves the user may
make), create/edit, history; and the plan's actions (POST only): a state change, a new version, a
material, a revision request and its answers, an expert review, a permit.

Every refused action answers with a Chinese message on the plan page and changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View

from cityrenew.core.generic import (
    Column,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
    ObjectView,
    Table,
)
from cityrenew.core.models import StaleObjectError
from cityrenew.core.uploads import attachment_response
from cityrenew.core.views import forbidden

from . import services, workflow
from .choices import PlanState as S
from .filtersets import PlanFilterSet
from .forms import (
    ExpertReviewForm,
    MaterialForm,
    PermitForm,
    PlanForm,
    RevisionRequestForm,
    TransitionForm,
    VersionForm,
)
from .models import ImplementationPlan, RevisionItem
from .permissions import (
    can_add_material,
    can_create,
    can_edit,
    can_view,
    can_write_content,
    edit_denial,
    is_authority,
    readable_plans,
)


class PlanTable(Table):
    columns = [
        Column("code", "方案编号", order_by="code", link=True),
        Column("title", "方案名称", order_by="title", link=True),
        Column("project.code", "项目编号", order_by="project__code"),
        Column("district.name", "所在区", order_by="district__code"),
        Column("entity.name", "实施主体", order_by="entity__name"),
        Column("category", "项目类别"),
        Column("state", "状态", order_by="state"),
        Column("opinion_date", "联合审查意见日期", order_by="opinion_date"),
    ]


class PlanBase:
    queryset = ImplementationPlan.objects.select_related("project", "district", "entity", "coordinator")
    lookup_field = "code"
    lookup_url_kwarg = "code"
    url_base = "plans:plan"

    def get_queryset(self, request: HttpRequest):
        return readable_plans(request.user, self.queryset.all())

    def can_view(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_authenticated and (obj is None or can_view(request.user, obj))

    def can_add(self, request: HttpRequest) -> bool:
        return can_create(request.user)

    def can_edit(self, request: HttpRequest, obj: Any) -> bool:
        return can_edit(request.user, obj)

    def can_delete(self, request: HttpRequest, obj: Any) -> bool:
        return False  # a plan is withdrawn (撤回), never deleted: its record stays

    def denial_message(self, action: str, obj: Any = None) -> str:
        if action == "add":
            return "无权新建实施方案：需要实施主体填报员、区级编辑或市级管理员角色。"
        if action == "edit" and obj is not None:
            return edit_denial(obj)
        return super().denial_message(action, obj)  # type: ignore[misc]


class PlanListView(PlanBase, ObjectListView):
    filterset_class, table_class = PlanFilterSet, PlanTable


class PlanView(PlanBase, ObjectView):
    detail_fields = ["code", "title", "project", "district", "entity", "coordinator", "category", "state", "summary",
                     "other_rights", "expert_review_required", "opinion_date", "land_first_done", "land_all_done"]

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        plan = kwargs["object"]
        user = request.user
        transitions = list(plan.transitions.select_related("user"))
        timeline = [(t, workflow.TRANSITIONS.get((t.from_state, t.to_state))) for t in transitions]
        notices_app = apps.is_installed("cityrenew.notices")
        moves = [(m, workflow.refusal(plan, m.target, user=user)) for m in workflow.moves_for(plan, user)
                 if not (m.target == S.REVISION and m.source in (S.PRE_REVIEW, S.JOINT_REVIEW))  # the revision form does these
                 and not (m.target == S.NOTICE and notices_app)]  # published on the notice page (period, content, hash)
        requests = list(plan.revision_requests.prefetch_related("items").order_by("-number"))
        authority = is_authority(user, plan)
        entity = workflow.ENTITY in workflow.actors_of(plan, user)
        return {
            "plan": plan, "timeline": timeline, "moves": moves, "checklist": services.materials_checklist(plan),
            "versions": list(plan.versions.select_related("uploaded_by")),
            "revision_requests": requests, "open_request": services.open_request(plan),
            "expert_reviews": list(plan.expert_reviews.all()), "permits": list(plan.permits.all()),
            "land_deadlines": services.land_deadlines(plan), "land_source": services.LAND_SOURCE,
            "revision_source": services.REVISION_SOURCE, "expert_source": services.EXPERT_SOURCE,
            "permit_source": services.PERMIT_SOURCE,
            "can_write_content": can_write_content(user, plan), "can_add_material": can_add_material(user, plan), "is_entity": entity, "is_authority": authority,
            "can_request_revision": authority and plan.state in (S.PRE_REVIEW, S.JOINT_REVIEW),
            "can_record_expert": authority and plan.state == S.EXPERT_REVIEW,
            "can_record_permit": (authority or entity) and plan.state in (S.PERMITS, S.LAND, S.IMPLEMENTATION),
            "version_form": VersionForm(), "material_form": MaterialForm(), "revision_form": RevisionRequestForm(),
            "expert_form": ExpertReviewForm(), "permit_form": PermitForm(),
            "notices": list(plan.notices.order_by("-pk")) if notices_app else None,
            "notice_add_url": (reverse("notices:notice_add", args=[plan.pk])
                               if notices_app and plan.state == S.APPROVED and workflow.AUTHORITY in workflow.actors_of(plan, user)
                               else ""),
            "review_app": apps.is_installed("cityrenew.review"), "ballots_app": apps.is_installed("cityrenew.ballots"),
            "can_add_vote": bool(workflow.actors_of(plan, user)),  # who organises a vote (ballots: the plan's actors)
        }


class PlanEditView(PlanBase, ObjectEditView):
    form_class = PlanForm

    def save(self, request: HttpRequest, form: Any, formsets: dict[str, Any]) -> Any:
        if form.instance.pk is None:
            form.instance.created_by = request.user
        return super().save(request, form, formsets)


class PlanHistoryView(PlanBase, ObjectHistoryView):
    pass


# --- the plan's actions (POST) ---------------------------------------------------------------------------

def _errors(form: Any) -> str:
    return "；".join(str(e) for errs in form.errors.values() for e in errs)


class PlanActionView(LoginRequiredMixin, View):
    """A POST on one plan; subclasses implement :meth:`act` (raise PlanError/TransitionError to refuse)."""

    def allowed(self, request: HttpRequest, plan: ImplementationPlan) -> bool:
        return can_view(request.user, plan)

    def act(self, request: HttpRequest, plan: ImplementationPlan) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, code: str, **kwargs: Any) -> HttpResponse:
        plan = get_object_or_404(ImplementationPlan, code=code)
        if not can_view(request.user, plan):
            return forbidden(request, f"无权查看实施方案{plan.code}。")
        if not self.allowed(request, plan):
            return forbidden(request, self.denial(plan), back_url=plan.get_absolute_url(), back_label="返回实施方案")
        self.kwargs = kwargs
        try:
            with transaction.atomic():
                done = self.act(request, plan)
        except (services.PlanError, workflow.TransitionError) as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        except StaleObjectError:
            messages.error(request, f"实施方案{plan.code}刚被他人修改（如已流转），本次操作没有执行；请查看最新状态后重试。")
        else:
            messages.success(request, done)
        return redirect(plan.get_absolute_url())

    def denial(self, plan: ImplementationPlan) -> str:
        return f"您无权对实施方案{plan.code}执行此操作。"


class TransitionView(PlanActionView):
    def act(self, request: HttpRequest, plan: ImplementationPlan) -> str:
        form = TransitionForm(request.POST)
        if not form.is_valid():
            raise services.PlanError(_errors(form))
        target = form.cleaned_data["target"]
        if target not in S.values:
            raise services.PlanError(f"未知的目标状态“{target}”")
        if target == S.REVISION and plan.state in (S.PRE_REVIEW, S.JOINT_REVIEW):
            raise services.PlanError("退回修改须列出修改补充事项，请使用“告知修改补充”表单（第八条）")
        move = workflow.TRANSITIONS.get((plan.state, target))
        workflow.transition(plan, target, user=request.user, note=form.cleaned_data["note"])
        return f"实施方案{plan.code}：{move.label}，当前状态“{plan.get_state_display()}”"


class VersionUploadView(PlanActionView):
    def allowed(self, request: HttpRequest, plan: ImplementationPlan) -> bool:
        return can_write_content(request.user, plan)

    def denial(self, plan: ImplementationPlan) -> str:
        return edit_denial(plan)

    def act(self, request: HttpRequest, plan: ImplementationPlan) -> str:
        form = VersionForm(request.POST, request.FILES)
        if not form.is_valid():
            raise services.PlanError(_errors(form))
        v = services.add_version(plan, form.cleaned_data["document"], user=request.user, change_note=form.cleaned_data["change_note"])
        return f"已上传{v}"


class MaterialUploadView(VersionUploadView):
    def allowed(self, request: HttpRequest, plan: ImplementationPlan) -> bool:
        return can_add_material(request.user, plan)

    def act(self, request: HttpRequest, plan: ImplementationPlan) -> str:
        form = MaterialForm(request.POST, request.FILES)
        if not form.is_valid():
            raise services.PlanError(_errors(form))
        m = services.add_material(plan, form.cleaned_data["kind"], form.cleaned_data["file"], user=request.user,
                                  description=form.cleaned_data["description"])
        return f"已上传申报材料：{m.get_kind_display()}"


class RevisionRequestView(PlanActionView):
    def allowed(self, request: HttpRequest, plan: ImplementationPlan) -> bool:
        return is_authority(request.user, plan)

    def denial(self, plan: ImplementationPlan) -> str:
        return f"只有区城市更新主管部门可以告知实施方案{plan.code}修改补充（第八条）。"

    def act(self, request: HttpRequest, plan: ImplementationPlan) -> str:
        form = RevisionRequestForm(request.POST)
        if not form.is_valid():
            raise services.PlanError(_errors(form))
        r = services.request_revision(plan, form.item_list(), user=request.user, note=form.cleaned_data["note"])
        return f"已告知修改补充（第{r.number}轮，{r.items.count()}项），方案已退回实施主体"


class RespondView(PlanActionView):
    def allowed(self, request: HttpRequest, plan: ImplementationPlan) -> bool:
        return workflow.ENTITY in workflow.actors_of(plan, request.user)

    def denial(self, plan: ImplementationPlan) -> str:
        return f"只有实施方案{plan.code}的实施主体可以答复修改补充事项。"

    def act(self, request: HttpRequest, plan: ImplementationPlan) -> str:
        item = get_object_or_404(RevisionItem, pk=self.kwargs["item"], request__plan=plan)
        services.respond(item, request.POST.get("response", ""), user=request.user)
        return f"已答复第{item.request.number}轮第{item.number}项"


class ExpertReviewView(PlanActionView):
    def allowed(self, request: HttpRequest, plan: ImplementationPlan) -> bool:
        return is_authority(request.user, plan)

    def denial(self, plan: ImplementationPlan) -> str:
        return "只有区城市更新主管部门可以登记专家评审结论（第九条）。"

    def act(self, request: HttpRequest, plan: ImplementationPlan) -> str:
        form = ExpertReviewForm(request.POST, request.FILES)
        if not form.is_valid():
            raise services.PlanError(_errors(form))
        review = services.record_expert_review(plan, user=request.user, **form.cleaned_data)
        return f"已登记{review}"


class PermitView(PlanActionView):
    def allowed(self, request: HttpRequest, plan: ImplementationPlan) -> bool:
        return bool(workflow.actors_of(plan, request.user))

    def act(self, request: HttpRequest, plan: ImplementationPlan) -> str:
        form = PermitForm(request.POST, request.FILES)
        if not form.is_valid():
            raise services.PlanError(_errors(form))
        permit = services.record_permit(plan, user=request.user, **form.cleaned_data)
        return f"已登记{permit}"


class PublicPlanDocumentView(View):
    """The latest text of a plan under public notice or after it (第十一条), for anyone; 404 before the
    notice (a plan in review is not public). Served as a download or inline PDF by ``core.uploads``."""

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        plan = get_object_or_404(ImplementationPlan, code=code)
        version = services.public_version(plan)
        if version is None or not version.document:
            raise Http404("该实施方案未公示或没有可公开的方案文本")
        path = Path(version.document.path)
        if not path.is_file():
            raise Http404("方案文本文件不存在")
        response = attachment_response(path, f"{plan.code}-第{version.number}版{path.suffix}")
        response["Cache-Control"] = "public, max-age=300"
        return response

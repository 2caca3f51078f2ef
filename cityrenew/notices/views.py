"""Staff pages of notices (公示管理, login required): the list, publication, moderation and replies, the record.

Who may do what is decided in ``services`` (the plan's actors: the district's authority publishes and
moderates, the implementing entity replies); these views only show what the user may do and report
refusals in Chinese.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cityrenew.core.audit import display_entries
from cityrenew.core.choices import Role
from cityrenew.core.generic import ObjectListView, ObjectView
from cityrenew.core.generic.tables import Column, Table
from cityrenew.core.models import AuditLog, Region
from cityrenew.core.permissions import region_ids_for, visible_audit
from cityrenew.core.views import forbidden
from cityrenew.jobs.runner import launch
from cityrenew.jobs.views import launched
from cityrenew.plans import workflow
from cityrenew.plans.models import ImplementationPlan
from cityrenew.workdays.calendar import CalendarError, add_workdays

from . import services
from .models import Comment, Notice
from .record import build_record, days_shown, record_filename
from .rules import MIN_NOTICE_WORKDAYS, NOTICE_PERIOD


def readable_notices(user: Any):
    """Notices of plans in the user's regions (any role), or of plans the user's organisation implements."""
    qs = Notice.objects.select_related("plan__district", "plan__entity")
    regions = region_ids_for(user, list(Role.values))
    if regions is None:
        return qs
    orgs = {ra.organisation_id for ra in user.role_assignments.all() if ra.organisation_id} if user.is_authenticated else set()
    return qs.filter(Q(plan__district_id__in=regions) | Q(plan__entity_id__in=orgs) | Q(plan__coordinator_id__in=orgs))


class NoticeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label="搜索", method="search")
    district = django_filters.ModelChoiceFilter(label="所在区", field_name="plan__district",
                                                queryset=Region.objects.filter(plans__isnull=False).distinct())

    class Meta:
        model = Notice
        fields = ["q", "district"]

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    def search(self, qs, name, value):
        return qs.filter(Q(title__icontains=value) | Q(plan__code__icontains=value))


class NoticeTable(Table):  # 公示清单
    columns = [
        Column("title", "公示标题", order_by="title", link=True),
        Column("plan", "方案编号", accessor="plan.code", order_by="plan__code"),
        Column("district", "所在区", accessor="plan.district.name"),
        Column("start_date", "起始日", order_by="start_date"),
        Column("days", "公示期（工作日）", order_by="days", css="num"),
        Column("end_date", "截止日", order_by="end_date"),
        Column("status", "状态", accessor=lambda n: n.status_on(services.today()).label),
        Column("n_comments", "意见数", order_by="n_comments", css="num"),
        Column("open_reports", "待处理举报", order_by="open_reports", css="num"),
    ]
    default_ordering = "-start_date"


class NoticeListView(ObjectListView):
    queryset = Notice.objects.all()
    filterset_class = NoticeFilterSet
    table_class = NoticeTable
    template_name = "notices/notice_list.html"

    def get_queryset(self, request: HttpRequest):
        return readable_notices(request.user).annotate(
            n_comments=Count("comments", filter=~Q(comments__kind="reply"), distinct=True),
            open_reports=Count("comments__reports", filter=Q(comments__reports__handled=False), distinct=True),
        )

    def can_add(self, request: HttpRequest) -> bool:
        return False  # a notice is published from its approved plan (发布公示), not created blank

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        approved = [p for p in ImplementationPlan.objects.filter(state="approved").select_related("district")
                    if workflow.AUTHORITY in workflow.actors_of(p, request.user)]
        return {"to_publish": approved, "can_close": bool(approved) or services.can_moderate_any(request.user)}


class NoticeView(ObjectView):
    queryset = Notice.objects.select_related("plan__district", "plan__entity", "published_by")
    template_name = "notices/notice.html"

    def get_queryset(self, request: HttpRequest):
        return readable_notices(request.user)

    def can_edit(self, request: HttpRequest, obj: Any) -> bool:
        return False  # published content is frozen

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        notice = kwargs["object"]
        today = services.today()
        comments = (notice.comments.select_related("parent", "moderated_by")
                    .annotate(open_reports=Count("reports", filter=Q(reports__handled=False)))
                    .prefetch_related("reports").order_by("created_at", "id"))
        comment_type = ContentType.objects.get_for_model(Comment)
        moderation = visible_audit(request.user, AuditLog.objects.filter(
            content_type=comment_type, action="update",
            object_id__in=[str(pk) for pk in notice.comments.values_list("pk", flat=True)])).order_by("-timestamp")[:100]
        return {
            "moderation_history": display_entries(moderation),
            "notice": notice, "status": notice.status_on(today), "left": services.workdays_left(notice, today),
            "shown": days_shown(notice, today), "comments": comments, "basis": NOTICE_PERIOD,
            "may_moderate": services.can_moderate(request.user, notice),
            "may_reply": services.can_reply(request.user, notice),
        }


def _notice_for(request: HttpRequest, pk: int) -> Notice:
    return get_object_or_404(readable_notices(request.user), pk=pk)


class PublishForm(forms.Form):
    title = forms.CharField(label="公示标题", max_length=300, required=False,
                            help_text="留空则为“方案名称＋实施方案公示”")
    start_date = forms.DateField(label="公示起始日", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                 help_text="发布之日；公示期自次日起算（民法典第二百零一条）")
    days = forms.IntegerField(label="公示期（工作日）", min_value=1, initial=MIN_NOTICE_WORKDAYS,
                              help_text=f"不少于{MIN_NOTICE_WORKDAYS}个工作日")


@login_required
def notice_add(request: HttpRequest, plan_pk: int) -> HttpResponse:
    plan = get_object_or_404(ImplementationPlan.objects.select_related("district", "entity", "project"), pk=plan_pk)
    if workflow.AUTHORITY not in workflow.actors_of(plan, request.user):
        return forbidden(request, f"您无权发布实施方案{plan.code}的公示：只有所在区的城市更新主管部门（区级编辑）或市级管理员可以发布。")
    form = PublishForm(request.POST or None, initial={"start_date": services.today(), "days": MIN_NOTICE_WORKDAYS})
    preview = ""
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.publish(plan, user=request.user, days=form.cleaned_data["days"],
                                      start_date=form.cleaned_data["start_date"], title=form.cleaned_data["title"])
        except services.NoticeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"公示已发布：{notice.start_date.isoformat()}起{notice.days}个工作日，"
                                      f"{notice.end_date.isoformat()}24时届满。")
            return redirect(notice.get_absolute_url())
    start = form.cleaned_data.get("start_date") if form.is_bound and hasattr(form, "cleaned_data") else None
    try:
        preview = add_workdays(start or services.today(), MIN_NOTICE_WORKDAYS).isoformat()
    except CalendarError:
        preview = ""
    return render(request, "notices/notice_add.html", {"plan": plan, "form": form, "basis": NOTICE_PERIOD,
                                                       "min_days": MIN_NOTICE_WORKDAYS, "preview": preview})


@login_required
@require_POST
def comment_moderate(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    notice = _notice_for(request, pk)
    comment = get_object_or_404(notice.comments, pk=comment_pk)
    action = request.POST.get("action", "")
    try:
        if action == "dismiss":
            n = services.dismiss_reports(comment, user=request.user)
            messages.success(request, f"已将{n}条举报标记为已处理，该意见保持公开。")
        else:
            services.moderate(comment, user=request.user, hide=action == "hide", reason=request.POST.get("reason", ""))
            messages.success(request, "已隐藏该意见（答复保留）。" if action == "hide" else "已恢复显示该意见。")
    except services.NoticeError as exc:
        messages.error(request, str(exc))
    return redirect(notice.get_absolute_url() + f"#c{comment.pk}")


@login_required
@require_POST
def comment_reply(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    notice = _notice_for(request, pk)
    comment = get_object_or_404(notice.comments, pk=comment_pk)
    try:
        services.reply(comment, user=request.user, body=request.POST.get("body", ""))
        messages.success(request, "答复已发布在公示页面。")
    except services.NoticeError as exc:
        messages.error(request, str(exc))
    return redirect(notice.get_absolute_url() + f"#c{comment.pk}")


@login_required
def notice_record(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice_for(request, pk)
    response = HttpResponse(build_record(notice),
                            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(record_filename(notice))}"
    return response


@login_required
@require_POST
def close_ended(request: HttpRequest) -> HttpResponse:
    if not services.can_moderate_any(request.user):
        return forbidden(request, "只有城市更新主管部门（区级编辑）或市级管理员可以处理公示期满的方案。")
    return launched(request, launch("notices.close_ended", owner=request.user))


"""我的待办 of the notices: approved plans to publish and reports to handle (authority), comments to answer (entity)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse

from cityrenew.core import inbox
from cityrenew.core.choices import InboxGroup
from cityrenew.core.inbox import InboxItem
from cityrenew.plans import workflow
from cityrenew.plans.choices import PlanState
from cityrenew.plans.models import ImplementationPlan

from .choices import CommentKind
from .models import Notice


@inbox.register("notices")
def notice_work(user: Any) -> Iterator[InboxItem]:
    if not getattr(user, "is_authenticated", False):
        return
    for plan in ImplementationPlan.objects.filter(state=PlanState.APPROVED).select_related("district", "entity"):
        if workflow.AUTHORITY in workflow.actors_of(plan, user):
            yield InboxItem(group=InboxGroup.TO_FILL, title=f"发布公示：{plan.code} {plan.title}",
                            url=reverse("notices:notice_add", args=[plan.pk]),
                            detail="通过联合审查，待在城市更新信息系统公示（不少于15个工作日）", status=plan.get_state_display())
    notices = (Notice.objects.select_related("plan__district", "plan__entity")
               .annotate(open_reports=Count("comments__reports", filter=Q(comments__reports__handled=False), distinct=True),
                         unanswered=Count("comments", filter=Q(comments__kind__in=[CommentKind.OPINION, CommentKind.OBJECTION],
                                                               comments__replies__isnull=True), distinct=True))
               .filter(Q(open_reports__gt=0) | Q(unanswered__gt=0)))
    for n in notices:
        actors = workflow.actors_of(n.plan, user)
        if n.open_reports and workflow.AUTHORITY in actors:
            yield InboxItem(group=InboxGroup.TO_REVIEW, title=f"处理举报：{n.title}", url=n.get_absolute_url(),
                            detail=f"{n.open_reports}条举报待处理", deadline=n.end_date)
        if n.unanswered and workflow.ENTITY in actors:
            yield InboxItem(group=InboxGroup.TO_FILL, title=f"答复公示意见：{n.title}", url=n.get_absolute_url(),
                            detail=f"{n.unanswered}条意见尚未答复", deadline=n.end_date)

"""我的待办 of the funding app: tranches waiting for the user's review, the user's returned and pending requests."""

from __future__ import annotations

from typing import Any, Iterable

from django.urls import reverse

from cityrenew.core import inbox
from cityrenew.core.choices import InboxGroup
from cityrenew.core.inbox import InboxItem

from .choices import ReviewStage, TrancheState
from .models import Tranche
from .permissions import pending_for, readable_projects, stage_of

STAGE_TODO = {ReviewStage.DISTRICT: "区级审核", ReviewStage.FINANCE: "财政审核", ReviewStage.PAYMENT: "登记拨付"}


@inbox.register("funding")
def tranches(user: Any) -> Iterable[InboxItem]:
    scope = readable_projects(user)
    qs = Tranche.objects.all() if scope is None else Tranche.objects.filter(project__in=scope)
    for t in pending_for(user, qs):
        yield InboxItem(group=InboxGroup.TO_REVIEW, title=f"资金拨付申请：{t.project.name}",
                        url=reverse("funding:tranche_detail", args=[t.pk]), status=t.get_state_display(),
                        detail=f"{t.year} 年 {t.get_channel_display()} {t.amount.normalize():f} 万元 · 待{STAGE_TODO[stage_of(t)]}")
    mine = Tranche.objects.filter(requested_by_id=user.pk).select_related("project")
    for t in mine.filter(state=TrancheState.REJECTED).prefetch_related("reviews"):
        last = t.reviews.order_by("-at", "-id").first()
        yield InboxItem(group=InboxGroup.RETURNED, title=f"资金拨付申请被退回：{t.project.name}",
                        url=reverse("funding:tranche_detail", args=[t.pk]), status=t.get_state_display(),
                        detail=f"{t.year} 年 {t.get_channel_display()} {t.amount.normalize():f} 万元",
                        reason=last.comment if last else "")
    for t in mine.filter(state__in=[TrancheState.REQUESTED, TrancheState.DISTRICT_APPROVED]):
        yield InboxItem(group=InboxGroup.SUBMITTED, title=f"资金拨付申请：{t.project.name}",
                        url=reverse("funding:tranche_detail", args=[t.pk]), status=t.get_state_display(),
                        detail=f"{t.year} 年 {t.get_channel_display()} {t.amount.normalize():f} 万元")

"""Owners' votes in 我的待办 of the plan's 实施主体填报员 (see :mod:`cityrenew.core.inbox`).

* 待填报 — a vote not yet closed whose register is imported but some codes are not issued (letters to print);
* 待填报 — a closed vote of a plan still in 意见征询中: the result is in, the entity confirms consent (or not).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from cityrenew.core import inbox
from cityrenew.core.choices import InboxGroup, Role
from cityrenew.core.inbox import InboxItem
from cityrenew.core.permissions import roles_of
from cityrenew.plans.choices import PlanState

from .models import Vote


@inbox.register("ballots")
def items(user: Any) -> list[InboxItem]:
    orgs = {r.organisation_id for r in roles_of(user) if r.role == Role.ENTITY_EDITOR}
    if not orgs:
        return []
    now = timezone.now()
    votes = (Vote.objects.select_related("plan")
             .filter(Q(plan__entity_id__in=orgs) | Q(plan__coordinator_id__in=orgs))
             .filter(Q(closes_at__gt=now, units__code_hash="") | Q(closes_at__lte=now, plan__state=PlanState.CONSULTATION))
             .distinct())
    out = []
    for v in votes:
        if v.is_closed():
            detail = f"{v.plan.code}：表决已于{timezone.localtime(v.closes_at):%Y-%m-%d %H:%M}截止，请查看结果并办理“物业权利人同意或表决通过”"
        else:
            detail = f"{v.plan.code}：有专有部分尚未发放表决码，请发放并打印告知书"
        out.append(InboxItem(group=InboxGroup.TO_FILL, title=f"业主表决：{v.title}", url=v.get_absolute_url(),
                             detail=detail, deadline=timezone.localtime(v.closes_at).date() if not v.is_closed() else None,
                             status=v.status_label))
    return out

"""我的待办 of the joint review: a department's items to give an opinion on (待审核), its answered items in
open rounds (已提交), and for the district's authority the rounds whose opinions are all in (待审核)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cityrenew.core import inbox
from cityrenew.core.choices import InboxGroup
from cityrenew.core.inbox import InboxItem
from cityrenew.core.permissions import editable_region_ids

from .choices import RoundStatus
from .models import ReviewRecord, ReviewRound
from .services import reviewer_organisations


@inbox.register("review")
def items(user: Any) -> Iterator[InboxItem]:
    orgs = reviewer_organisations(user)
    if orgs:
        qs = (ReviewRecord.objects.filter(organisation_id__in=orgs, round__status=RoundStatus.OPEN)
              .select_related("round__plan", "organisation"))
        for r in qs:
            plan = r.round.plan
            yield InboxItem(
                group=InboxGroup.SUBMITTED if r.opinion else InboxGroup.TO_REVIEW,
                title=f"联合审查 · {plan.code} {plan.title} · {r.item_title}",
                url=r.get_absolute_url(),
                detail=f"{r.department_name}（{r.organisation}），依据第十二条{r.clause}",
                deadline=r.due_date,
                status=r.get_opinion_display() if r.opinion else "待出具意见",
            )
    regions = editable_region_ids(user)
    rounds = ReviewRound.objects.filter(status=RoundStatus.OPEN).select_related("plan")
    if regions is not None:
        if not regions:
            return
        rounds = rounds.filter(plan__district_id__in=regions)
    for rnd in rounds.prefetch_related("records"):
        records = list(rnd.records.all())
        if records and all(r.opinion for r in records):
            yield InboxItem(group=InboxGroup.TO_REVIEW, title=f"联合审查意见已齐 · {rnd.plan.code} {rnd.plan.title}",
                            url=rnd.get_absolute_url(), detail=f"第{rnd.number}轮，{len(records)}项意见，待作出审查决定",
                            status=rnd.get_status_display())

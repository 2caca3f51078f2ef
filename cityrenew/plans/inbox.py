"""我的待办 of implementation plans.

* the entity (实施主体填报员): plans to draft and submit (待填报), plans returned for revision with the
  open items (已退回), land deadlines of 第十八条 within :data:`services.LAND_REMINDER_DAYS` days or
  passed (待填报, with the deadline), and its submitted plans under review (已提交（审核中）, informative);
* the authority (区级编辑 of the plan's district, 市级管理员): plans submitted to accept, in pre-review or
  expert review, in joint review awaiting the decision, approved awaiting the notice (待审核).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Q

from cityrenew.core import inbox
from cityrenew.core.choices import InboxGroup, Role
from cityrenew.core.inbox import InboxItem
from cityrenew.core.permissions import region_ids_for
from cityrenew.workdays import clock

from . import services
from .choices import PlanState as S
from .models import ImplementationPlan
from .permissions import entity_org_ids

ENTITY_TODO = {S.DRAFTING: "编制方案、征询物业权利人意见", S.CONSULTATION: "取得物业权利人同意或表决通过",
               S.CONSENTED: "补齐申报材料并报送区城市更新主管部门"}
ENTITY_WAITING = (S.SUBMITTED, S.PRE_REVIEW, S.EXPERT_REVIEW, S.JOINT_REVIEW, S.APPROVED, S.NOTICE)
AUTHORITY_TODO = {S.SUBMITTED: "受理并开展审查前准备（第八条）", S.PRE_REVIEW: "审查前准备：告知修改补充或提交联合审查",
                  S.EXPERT_REVIEW: "登记专家评审结论后提交联合审查（第九条）",
                  S.JOINT_REVIEW: "联合审查：出具审查意见或退回修改（第十条）", S.APPROVED: "在城市更新信息系统公示（第十一条）"}


def _item(group: str, plan: ImplementationPlan, detail: str, **kw: Any) -> InboxItem:
    return InboxItem(group=group, title=f"实施方案 {plan.code} {plan.title}", url=plan.get_absolute_url(),
                     detail=f"{plan.district.name} · {detail}", status=plan.get_state_display(), **kw)


@inbox.register("plans")
def plan_items(user: Any) -> Iterator[InboxItem]:
    plans = ImplementationPlan.objects.select_related("district")
    orgs = entity_org_ids(user)
    if orgs:
        mine = plans.filter(Q(entity_id__in=orgs) | Q(coordinator_id__in=orgs))
        for plan in mine.filter(state__in=list(ENTITY_TODO)):
            yield _item(InboxGroup.TO_FILL, plan, ENTITY_TODO[plan.state])
        for plan in mine.filter(state=S.REVISION):
            request = services.open_request(plan)
            reason = ""
            if request is not None:
                reason = "；".join(f"{i.number}. {i.text}" for i in request.items.all())
            yield _item(InboxGroup.RETURNED, plan, "按修改补充事项修改方案、逐项答复后重新报送（第八条）", reason=reason)
        for plan in mine.filter(state__in=ENTITY_WAITING):
            yield _item(InboxGroup.SUBMITTED, plan, "审查、公示中")
        today = clock.today()
        for plan in mine.filter(state__in=[S.PERMITS, S.LAND, S.IMPLEMENTATION], opinion_date__isnull=False):
            for d in services.land_deadlines(plan):
                if d.done is None and (d.due - today).days <= services.LAND_REMINDER_DAYS:
                    yield _item(InboxGroup.TO_FILL, plan, f"{d.label}期限 {d.due.isoformat()}（第十八条）", deadline=d.due)
    districts = region_ids_for(user, [Role.CITY_ADMIN, Role.DISTRICT_EDITOR])
    if districts is None or districts:
        todo = plans.filter(state__in=list(AUTHORITY_TODO))
        if districts is not None:
            todo = todo.filter(district_id__in=districts)
        for plan in todo:
            yield _item(InboxGroup.TO_REVIEW, plan, AUTHORITY_TODO[plan.state])

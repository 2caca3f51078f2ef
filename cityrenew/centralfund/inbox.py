"""我的待办 of the central-fund application: applications waiting for the user's move.

* city (市级管理员 of the city): its application 编制中 — to fill (待填报), returned ones with the reason;
  确定为支持城市 — file the sealed performance tables before publicity ends (六、（四）);
* province: applications 编制中 whose gate is passed (to recommend) and 省级已推荐 ones (to submit by
  4月30日, 六、（一）) — 待审核.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from cityrenew.core.choices import InboxGroup
from cityrenew.core.inbox import InboxItem, register

from .choices import ApplicationState as S
from .permissions import CITY, PROVINCE, actors_of, readable_applications
from .workflow import gate_problems


@register("centralfund")
def applications(user: Any) -> Iterable[InboxItem]:
    if not getattr(user, "is_authenticated", False) or user.is_superuser:
        return []
    out = []
    for app in readable_applications(user).filter(state__in=[S.DRAFT, S.RECOMMENDED, S.CONFIRMED]):
        actors = actors_of(app, user)
        url = app.get_absolute_url()
        submit_by = dt.date(app.year, 4, 30)  # 六、（一）：应于4月30日前联合行文报送
        if app.state == S.DRAFT and CITY in actors:
            group = InboxGroup.RETURNED if app.transitions.filter(to_state=S.DRAFT).exists() else InboxGroup.TO_FILL
            out.append(InboxItem(group=group, title=f"填写{app}", url=url, deadline=submit_by,
                                 detail="申报基础条件、样板项目、机制建设、申报材料", status=app.get_state_display()))
        if app.state == S.DRAFT and PROVINCE in actors and CITY not in actors and not gate_problems(app):
            out.append(InboxItem(group=InboxGroup.TO_REVIEW, title=f"推荐{app}", url=url, deadline=submit_by,
                                 status=app.get_state_display()))
        if app.state == S.RECOMMENDED and PROVINCE in actors:
            out.append(InboxItem(group=InboxGroup.TO_REVIEW, title=f"报送{app}", url=url, deadline=submit_by,
                                 detail="联合行文报送财政部、住房城乡建设部，电子版不超过8GB", status=app.get_state_display()))
        if app.state == S.CONFIRMED and CITY in actors:
            out.append(InboxItem(group=InboxGroup.TO_FILL, title=f"报送盖章绩效目标表：{app}", url=url,
                                 detail="三年行动总体绩效目标表、年度绩效目标表，公示期结束前备案", status=app.get_state_display()))
    return out

"""The reports' items in 我的待办 (see :mod:`cityrenew.core.inbox`).

* 待审核 — reports submitted by the cities of the user's province (the rule of :func:`services.can_review`);
* 已退回 — the latest version of a report of the user's city that the province returned, with its comments;
* 已提交（审核中） — the latest version of a report of the user's city waiting for the province (shown, not counted).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cityrenew.core import inbox
from cityrenew.core.choices import InboxGroup, Role
from cityrenew.core.inbox import InboxItem
from cityrenew.core.permissions import region_ids_for

from . import services
from .choices import ReportState
from .models import ProgressReport

GROUP_OF_OWN_REPORT = {ReportState.RETURNED: InboxGroup.RETURNED, ReportState.SUBMITTED: InboxGroup.SUBMITTED}


def _item(group: str, report: ProgressReport, detail: str) -> InboxItem:
    return InboxItem(group=group, title=str(report), url=report.get_absolute_url(), detail=detail,
                     reason=report.review_comment if report.state == ReportState.RETURNED else "",
                     status=report.get_state_display())


@inbox.register("reports")
def reports(user: Any) -> Iterator[InboxItem]:
    submitted = ProgressReport.objects.filter(state=ReportState.SUBMITTED).select_related("city")
    for report in submitted:
        if services.can_review(user, report.city):
            yield _item(InboxGroup.TO_REVIEW, report, "城市报送的进度报告，请接收或退回")
    ids = region_ids_for(user, [Role.CITY_ADMIN])
    own = ProgressReport.objects.filter(state__in=list(GROUP_OF_OWN_REPORT)).select_related("city")
    if ids is not None:
        own = own.filter(city_id__in=ids)
    elif user.is_superuser:
        return  # a superuser reviews; the cities' own items are theirs
    for report in own:
        newest = not ProgressReport.objects.filter(city=report.city, year=report.year, kind=report.kind,
                                                   version__gt=report.version).exists()
        if newest:
            yield _item(GROUP_OF_OWN_REPORT[report.state], report,
                        "省级已退回，请修改后生成新版本" if report.state == ReportState.RETURNED else "等待省级审核")

"""The performance app's items in 我的待办 (see :mod:`cityrenew.core.inbox`), for whoever edits a city (市级管理员):

* 待填报 — a city's target table still being drawn up (to fill in and file with the stamped scan);
* 待填报 — a filed table with indicators of a past year that have no actual value yet.

The texts set no date for either (财办建〔2025〕11号 六、（四） says only “公示期结束前”), so the items carry none.
"""

from __future__ import annotations

from typing import Any, Iterator

from django.db.models import Count, Q
from django.utils import timezone

from cityrenew.core import inbox
from cityrenew.core.choices import InboxGroup, Role
from cityrenew.core.inbox import InboxItem
from cityrenew.core.permissions import region_ids_for

from .choices import TableState
from .models import TargetTable


@inbox.register("performance")
def items(user: Any) -> Iterator[InboxItem]:
    ids = region_ids_for(user, [Role.CITY_ADMIN])
    if ids is not None and not ids:
        return
    tables = TargetTable.objects.select_related("city", "project")
    if ids is not None:
        tables = tables.filter(city_id__in=ids)
    for t in tables.filter(state=TableState.DRAFT):
        yield InboxItem(group=InboxGroup.TO_FILL, title=f"编制并盖章备案：{t}", url=t.get_absolute_url(),
                        detail="填好各年度目标值后上传加盖城市人民政府公章的扫描件", status=t.get_state_display())
    this_year = timezone.localdate().year
    missing = Q(results__indicators__periods__year__lt=this_year, results__indicators__periods__actual__isnull=True)
    for t in tables.filter(state=TableState.FILED).annotate(n=Count("results__indicators__periods", filter=missing)) \
            .filter(n__gt=0):
        yield InboxItem(group=InboxGroup.TO_FILL, title=f"填报实际值：{t}", url=t.get_absolute_url(),
                        detail=f"往年尚有 {t.n} 项指标年度值未填报实际值", status=t.get_state_display())

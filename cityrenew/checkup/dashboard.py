"""The check-up's card on the home page (工作台)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from .choices import ProblemStatus
from .models import CheckupRun


def card(request: HttpRequest) -> dict[str, Any]:
    url = reverse("checkup:dashboard")
    run = CheckupRun.objects.select_related("city", "indicator_set").order_by("-year", "city__code").first()
    if run is None:
        return {"title": "城市体检", "value": "尚未开展", "subtitle": "市级管理员可新建年度城市体检", "url": url}
    n_ind = run.indicator_set.indicators.filter(retired=False).count()
    problems = run.problems.all()
    n = problems.count()
    fixed = problems.filter(status=ProblemStatus.FIXED).count()
    return {
        "title": "城市体检",
        "value": f"{run.year} 年度 · {n_ind} 项指标",
        "subtitle": f"{run.city.display_name} · 问题 {n} 个，已整治 {fixed} 个 · {run.get_status_display()}",
        "url": f"{url}?run={run.pk}",
    }

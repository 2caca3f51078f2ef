"""Shared helpers of the check-up pages: the run in the URL, the Chinese 403, chart colours."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext

from cityrenew.core.models import Region
from cityrenew.core.views import forbidden as core_forbidden

from .. import services
from ..choices import (
    Severity,
    Trend,
    Verdict,
)
from ..models import (
    CheckupRun,
    DepartmentTask,
)

PAGE_SIZE = 50
SEVERITY_COLOURS = {Severity.GENERAL: "#f2b01e", Severity.SERIOUS: "#e8590c", Severity.SEVERE: "#b3261e"}
VERDICT_COLOURS = {Verdict.PASS: "#1b7f3b", Verdict.FAIL: "#b3261e", Verdict.NO_STANDARD: "#a0a8b3", Verdict.MISSING: "#e0c48a"}
VERDICT_BADGE = {Verdict.PASS: "good", Verdict.FAIL: "bad", Verdict.NO_STANDARD: "", Verdict.MISSING: "neutral"}
TREND_BADGE = {Trend.BETTER: "good", Trend.WORSE: "bad", Trend.SAME: "", Trend.NOT_COMPARABLE: "neutral"}
TREND_ARROW = {Trend.BETTER: "↑", Trend.WORSE: "↓", Trend.SAME: "→", Trend.NOT_COMPARABLE: ""}


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return core_forbidden(
        request,
        message,
        hint=gettext("如需办理，请联系本部门的填报人员或市城市更新主管部门。"),
        back_url=reverse("checkup:dashboard"),
        back_label=gettext("返回城市体检"),
    )


def latest_run() -> CheckupRun | None:
    return CheckupRun.objects.select_related("city", "indicator_set").order_by("-year", "city__code").first()


def run_from_request(request: HttpRequest) -> CheckupRun | None:
    pk = request.GET.get("run")
    if pk and pk.isdigit():
        return CheckupRun.objects.select_related("city", "indicator_set").filter(pk=int(pk)).first()
    return latest_run()


def _run(pk: int) -> CheckupRun:
    return get_object_or_404(CheckupRun.objects.select_related("city", "indicator_set"), pk=pk)


def _task(pk: int) -> DepartmentTask:
    return get_object_or_404(DepartmentTask.objects.select_related("run__city", "run__indicator_set", "organisation"), pk=pk)

_error_text = services.error_text  # the views' name for it

def region_label(region: Region, cache: dict[int, str] | None = None) -> str:
    """“中原区 · 绿东村街道”: the region's place below the city."""
    if cache is not None and region.pk in cache:
        return cache[region.pk]
    text = region.place_label()
    if cache is not None:
        cache[region.pk] = text
    return text

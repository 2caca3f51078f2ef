"""Pages of the reports app (报送与统计): the reports list with the generate form, a report's page with its
actions and downloads, the comparison of cities, and the national statistics with their xlsx export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from cityrenew.core.audit import beijing_time
from cityrenew.core.generic import Column, ObjectListView, ObjectView, Table
from cityrenew.core.views import forbidden as core_forbidden
from cityrenew.core.xlsx import XLSX_MIME, attachment_header, xlsx_response

from . import documents, services
from .choices import REPORT_SOURCE, REVIEW_SOURCE, ReportKind, ReportState
from .figures import NATIONAL_SOURCE, NATIONAL_STATS, NO_RECORDS, collect, statistics
from .filtersets import ProgressReportFilterSet
from .models import ProgressReport

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_YEARS = 30  # a statistics export spans at most this many years


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return core_forbidden(request, message, back_url=reverse("reports:report_list"), back_label="返回报送与统计")


def visible_reports(user: Any):
    qs = ProgressReport.objects.select_related("city")
    return qs if getattr(user, "is_superuser", False) else qs.filter(city__in=[c.pk for c in services.readable_cities(user)])


class ReportTable(Table):  # 进度报告清单
    columns = [
        Column("title", "标题", link=True),
        Column("city", "城市", order_by="city__code"),
        Column("year", "年度", order_by="year", css="num"),
        Column("kind", "报告类型"),
        Column("version", "版本号", css="num"),
        Column("state", "状态", order_by="state"),
        Column("generated_at", "生成时间", accessor=lambda r: beijing_time(r.generated_at), order_by="generated_at"),
        Column("submitted_at", "报送时间", accessor=lambda r: beijing_time(r.submitted_at)),
    ]


class _ReportMixin:
    queryset = ProgressReport.objects.select_related("city")
    url_base = "reports:report"

    def get_queryset(self, request: HttpRequest):
        return visible_reports(request.user)

    def can_add(self, request: HttpRequest) -> bool:
        return False

    def can_edit(self, request: HttpRequest, obj: Any) -> bool:
        return False

    def forbidden(self, request: HttpRequest, message: str) -> HttpResponse:
        return forbidden(request, message)


class ReportListView(_ReportMixin, ObjectListView):
    filterset_class = ProgressReportFilterSet
    table_class = ReportTable
    template_name = "reports/report_list.html"
    table_id = "report-table"

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        own = [c for c in services.cities() if services.can_generate(request.user, c)]
        return {"generate_cities": own, "kinds": ReportKind.choices, "this_year": timezone.localdate().year,
                "report_source": REPORT_SOURCE, "readable_cities": services.readable_cities(request.user)}


class ReportDetailView(_ReportMixin, ObjectView):
    template_name = "reports/report_detail.html"

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        report: ProgressReport = kwargs["object"]
        versions = ProgressReport.objects.filter(city=report.city, year=report.year, kind=report.kind).order_by("-version")
        newest = versions.first()
        return {"sections": documents.sections(report.figures), "versions": versions,
                "can_regenerate": report.state == ReportState.RETURNED and newest.pk == report.pk
                and services.can_generate(request.user, report.city),
                "can_submit": report.state in (ReportState.GENERATED,) and services.can_generate(request.user, report.city),
                "can_review": report.state == ReportState.SUBMITTED and services.can_review(request.user, report.city),
                "report_source": REPORT_SOURCE, "review_source": REVIEW_SOURCE}


class GenerateView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        city = services.cities().filter(pk=request.POST.get("city") or 0).first()
        if city is None:
            messages.error(request, "请选择「城市」。")
            return redirect("reports:report_list")
        try:
            report = services.generate(request.user, city, request.POST.get("year"), request.POST.get("kind") or ReportKind.YEARLY,
                                       progress=request.POST.get("progress", ""), problems=request.POST.get("problems", ""),
                                       practices=request.POST.get("practices", ""))
        except services.ReportError as exc:
            messages.error(request, str(exc))
            return redirect("reports:report_list")
        messages.success(request, f"已生成{report}。")
        return redirect(report.get_absolute_url())


class ActionView(LoginRequiredMixin, View):
    action = ""  # submit / return / accept

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        report = get_object_or_404(visible_reports(request.user), pk=pk)
        try:
            if self.action == "submit":
                services.submit(request.user, report)
                messages.success(request, f"已报送{report}。")
            else:
                services.review(request.user, report, self.action == "accept", request.POST.get("comment", ""))
                messages.success(request, f"{report}{'已接收' if self.action == 'accept' else '已退回'}。")
        except services.ReportError as exc:
            messages.error(request, str(exc))
        return redirect(report.get_absolute_url())


class TextView(LoginRequiredMixin, View):
    """Save 工作进展 / 存在问题 / 经验做法 of a version not yet submitted."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        report = get_object_or_404(visible_reports(request.user), pk=pk)
        try:
            services.update_text(request.user, report, **{k: request.POST.get(k, "") for k in ("progress", "problems", "practices")})
            messages.success(request, "已保存。")
        except services.ReportError as exc:
            messages.error(request, str(exc))
        return redirect(report.get_absolute_url())


class DownloadView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
        report = get_object_or_404(visible_reports(request.user), pk=pk)
        name = f"{report.city.display_name}{report.year}年{report.get_kind_display()}_第{report.version}版"
        if fmt == "xlsx":
            resp = HttpResponse(documents.workbook(report), content_type=XLSX_MIME)
            resp["Content-Disposition"] = attachment_header(name + ".xlsx")
        else:
            resp = HttpResponse(documents.document(report), content_type=DOCX_MIME)
            resp["Content-Disposition"] = attachment_header(name + ".docx")
        return resp


def _national(key: str):
    """The national figure ``key`` of a city's figures; “无此类记录” where no record type exists."""
    def get(f: dict[str, Any]) -> Any:
        value = f["national"][key]
        return NO_RECORDS if value is None else value
    return get


COMPARE_ROWS = [  # (label, function of the figures)
    ("项目总数（个，不含调出）", lambda f: f["projects"]["count"]),
    ("项目总投资（亿元）", lambda f: f["projects"]["investment"]),
    ("该年开工项目（个）", lambda f: f["projects"]["started"]),
    ("该年完工项目（个）", lambda f: f["projects"]["completed"]),
    ("城镇老旧小区台账（个）", lambda f: f["ledgers"]["communities_total"]),
    ("资金计划（万元）", lambda f: f["funding"]["totals"]["planned"]),
    ("资金到位（万元）", lambda f: f["funding"]["totals"]["received"]),
    ("资金支出（万元）", lambda f: f["funding"]["totals"]["spent"]),
] + [(f"{s.label}（{s.unit}）", _national(s.key)) for s in NATIONAL_STATS]
CHART_ROWS = ["项目总投资（亿元）", "资金计划（万元）", "资金到位（万元）", "资金支出（万元）"]


def _years(request: HttpRequest, key: str, default: int) -> int:
    try:
        return services.parse_year(request.GET.get(key) or default)
    except services.ReportError:
        return default


class CompareView(LoginRequiredMixin, View):
    """Two or more cities side by side for one year (城市对比): a table and an ECharts bar chart."""

    def get(self, request: HttpRequest) -> HttpResponse:
        readable = services.readable_cities(request.user)
        if len(readable) < 2:
            return forbidden(request, "城市对比需要至少两个城市的查看权限（省级或部委用户）。")
        year = _years(request, "year", timezone.localdate().year - 1)
        chosen_ids = request.GET.getlist("city")
        chosen = [c for c in readable if str(c.pk) in chosen_ids] or readable
        error = "请至少选择两个城市进行对比。" if len(chosen) < 2 else ""
        figures = [collect(c, year) for c in chosen] if not error else []
        rows = [{"label": label, "values": [fn(f) for f in figures]} for label, fn in COMPARE_ROWS]
        chart = {"cities": [f["city"] for f in figures],
                 "series": [{"name": r["label"], "axis": 1 if "亿元" in r["label"] else 0, "data": [str(v) for v in r["values"]]}
                            for r in rows if r["label"] in CHART_ROWS]}
        return render(request, "reports/compare.html", {
            "readable": readable, "chosen": chosen, "year": year, "rows": rows, "figures": figures, "chart": chart,
            "error": error, "national_source": NATIONAL_SOURCE})


class StatisticsView(LoginRequiredMixin, View):
    """The national statistics (全国统计) over the cities the user reads, by year; ``?export=xlsx``."""

    def get(self, request: HttpRequest) -> HttpResponse:
        readable = services.readable_cities(request.user)
        if not readable:
            return forbidden(request, "您没有任何城市的查看权限，无法导出统计。")
        this_year = timezone.localdate().year
        start, end = _years(request, "start", this_year - 4), _years(request, "end", this_year)
        error = ""
        if end < start:
            error, start, end = f"「起始年度」{start} 晚于「截止年度」{end}，已按两者互换。", end, start
        if end - start + 1 > MAX_YEARS:
            error, start = f"统计最多跨 {MAX_YEARS} 年，起始年度已调整为 {end - MAX_YEARS + 1}。", end - MAX_YEARS + 1
        rows = statistics(readable, list(range(start, end + 1)))
        if request.GET.get("export") == "xlsx":
            return self.export(rows, start, end)
        return render(request, "reports/statistics.html", {
            "rows": rows, "stats": NATIONAL_STATS, "start": start, "end": end, "cities": readable, "error": error,
            "national_source": NATIONAL_SOURCE, "no_records": NO_RECORDS})

    def export(self, rows: list[dict[str, Any]], start: int, end: int) -> HttpResponse:
        return xlsx_response(documents.statistics_workbook(rows), f"城市更新统计_{start}-{end}.xlsx")

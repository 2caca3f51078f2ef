"""Pages of lifeline monitoring (城市生命线), on the generic views (:mod:`cityrenew.core.generic`).

* ``/lifeline/`` — the monitoring dashboard: devices and alarms by sector and district (ECharts), the
  live alarm list (HTMX, refreshed every 10 s), the map link;
* ``/lifeline/alarms/`` and ``/lifeline/alarms/<id>/`` — alarms, and one alarm with its chart, its
  timeline (raised, level changes, escalations, acknowledgement, each disposal step) and the actions
  (确认, 派单 → 处置 → 复核 → 关闭, each by a named user, audited);
* ``/lifeline/devices/`` (the device registry, with key issue/revoke; ``?export=xlsx`` in the import template's
  columns), ``/lifeline/devices/import/`` (试导入 → 导入, large files as the ``lifeline.import_devices`` job) and
  ``/lifeline/devices/template.xlsx``, ``/lifeline/assets/``,
  ``/lifeline/rules/`` — generic list/detail/edit/delete;
* ``/lifeline/statistics/`` — devices, assets and alarms by sector and by district for a period, within the
  user's districts (:mod:`cityrenew.lifeline.statistics`), a chart, a table and ``?export=xlsx``;
* ``/lifeline/datastreams/<id>/series.json`` — a week (``?hours=``) of one datastream, with the
  thresholds of its rules, for the charts: raw readings up to 7 days, hourly aggregates up to 90 days,
  daily beyond (with each bucket's minimum and maximum), see :func:`cityrenew.lifeline.rollup.chart_series`;
* ``/lifeline/retention/`` — the city's retention periods (读数保留期限, edited by 市级管理员 on the generic
  edit page, audited), the rollup watermarks and the last rollup and retention jobs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Min, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from cityrenew.core import permissions
from cityrenew.core.choices import Role
from cityrenew.core.generic import Column, ObjectDeleteView, ObjectEditView, ObjectListView, ObjectView, Table
from cityrenew.core.tabular import estimate_rows
from cityrenew.core.uploads import stash_upload, stashed_upload
from cityrenew.core.views import forbidden
from cityrenew.core.xlsx import write_table, xlsx_response
from cityrenew.jobs.runner import launch
from cityrenew.jobs.views import launched

from . import alarms as alarm_service
from . import exports, keys
from . import statistics as stats
from .choices import AlarmStatus, DisposalStep, Sector
from .filtersets import AlarmFilterSet, AlarmRuleFilterSet, AssetFilterSet, DeviceFilterSet
from .forms import AlarmRuleForm, AssetForm, DeviceForm, DeviceImportForm, RetentionForm, StepForm
from .importer import import_devices
from .jobs import IMPORT_SUFFIXES, UPLOAD_KIND
from .models import Alarm, AlarmRule, Datastream, Device, MonitoredAsset, RetentionSettings, RollupMark
from .rollup import chart_series, city, retention_periods
from .rules import parse_rule

ACTORS = (Role.CITY_ADMIN, Role.DISTRICT_EDITOR, Role.DEPT_EDITOR, Role.DEPT_REVIEWER)


def may_act(user: Any, alarm: Alarm) -> bool:
    """Acknowledge and dispose: 市级管理员, the district's editors, and department users (值班、处置单位)."""
    if permissions.can_edit_regions(user, alarm.region_ids()):
        return True
    return any(permissions.has_role(user, r) for r in (Role.DEPT_EDITOR, Role.DEPT_REVIEWER))


# --- devices ------------------------------------------------------------------------------------

class DeviceTable(Table):
    columns = [
        Column("code", "设备编码", order_by="code", link=True),
        Column("name", "名称", order_by="name", link=True),
        Column("sector", "行业", order_by=("sector", "code")),
        Column("device_type", "设备类型"),
        Column("district", "所在区", order_by=("district__code", "code")),
        Column("status", "运维状态", order_by=("status", "code")),
        Column("install_date", "安装日期", order_by="install_date"),
        Column("four_sync", "四同步", accessor=lambda d: "是" if all(
            (d.sync_design, d.sync_construction, d.sync_acceptance, d.sync_handover)) else "否"),
        Column("key", "设备密钥", accessor=lambda d: "已吊销" if d.key_revoked else ("已签发" if d.key_hash else "未签发")),
    ]


class DeviceBase:
    queryset = Device.objects.select_related("district", "asset")
    url_base = "lifeline:device"


class DeviceListView(DeviceBase, ObjectListView):
    filterset_class, table_class = DeviceFilterSet, DeviceTable

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"import_url": reverse("lifeline:device_import"), "template_url": reverse("lifeline:device_template")}

    def export(self, request: HttpRequest, qs, table) -> HttpResponse:
        """The filtered registry in the import template's columns (re-importable), formula-like text neutralised."""
        return xlsx_response(exports.registry_workbook(qs), exports.EXPORT_FILENAME)


class DeviceView(DeviceBase, ObjectView):
    template_name = "lifeline/device.html"
    detail_fields = ["code", "name", "description", "device_type", "asset", "sector", "district", "install_date",
                     "sync_design", "sync_construction", "sync_acceptance", "sync_handover", "status"]

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        device = kwargs["object"]
        where = f"经度 {device.location.x:.6f}，纬度 {device.location.y:.6f}（WGS84）" if device.location else ""
        fields = self.field_rows(device) + [("安装位置", where)]
        streams = list(device.datastreams.select_related("sensor", "observed_property", "latest"))
        return {"fields": fields, "streams": streams, "alarms": device.alarms.select_related("rule").order_by("-since")[:20],
                "can_manage_key": self.can_edit(request, device), "new_key": request.session.pop("lifeline_new_key", None)}


class DeviceEditView(DeviceBase, ObjectEditView):
    form_class = DeviceForm


class DeviceDeleteView(DeviceBase, ObjectDeleteView):
    pass


class DeviceKeyView(LoginRequiredMixin, View):
    """POST: issue (shown once on the device page) or revoke the device's key."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        device = get_object_or_404(Device, pk=pk)
        if not permissions.can_edit_regions(request.user, device.region_ids()):
            return forbidden(request, f"无权管理设备 {device.code} 的密钥：超出您的授权区划范围。")
        if request.POST.get("action") == "revoke":
            keys.revoke_key(device)
            messages.success(request, f"设备 {device.code} 的密钥已吊销，此后该设备的读数将被拒收。")
        else:
            request.session["lifeline_new_key"] = keys.issue_key(device)
            messages.success(request, f"已为设备 {device.code} 签发新密钥（旧密钥即时失效），请立即抄录：密钥只显示这一次。")
        return redirect(device.get_absolute_url())


class DeviceTemplateView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return xlsx_response(exports.template_workbook(), exports.TEMPLATE_FILENAME)


class DeviceImportView(LoginRequiredMixin, View):
    """感知设备导入: upload → 试导入 with the row-by-row report → 确认导入 of the same kept file (or 导入 at once).
    Files above ``CITYRENEW_IMPORT_JOB_ROWS`` rows go to the ``lifeline.import_devices`` background job."""

    template_name = "lifeline/device_import.html"

    def _denied(self, request: HttpRequest) -> HttpResponse | None:
        if permissions.can_edit_any(request.user):
            return None
        return forbidden(request, "无权导入感知设备：只读用户不能新建或修改设备。", back_url=reverse("lifeline:device_list"),
                         back_label="返回感知设备")

    def context(self, **extra: Any) -> dict[str, Any]:
        return {"template_url": reverse("lifeline:device_template"), "list_url": reverse("lifeline:device_list"), **extra}

    def get(self, request: HttpRequest) -> HttpResponse:
        if (denied := self._denied(request)) is not None:
            return denied
        return render(request, self.template_name, self.context(form=DeviceImportForm()))

    def post(self, request: HttpRequest) -> HttpResponse:
        if (denied := self._denied(request)) is not None:
            return denied
        if request.POST.get("confirm"):
            token = request.POST.get("token", "")
            path = stashed_upload(UPLOAD_KIND, token, IMPORT_SUFFIXES)
            filename, dry_run = request.POST.get("filename", "")[:200] or token, False
        else:
            form = DeviceImportForm(request.POST, request.FILES)
            if not form.is_valid():
                return render(request, self.template_name, self.context(form=form), status=400)
            upload = form.cleaned_data["file"]
            token, path = stash_upload(upload, UPLOAD_KIND)
            filename, dry_run = upload.name, form.cleaned_data["dry_run"]
        if path is None:
            messages.error(request, "导入文件已失效，请重新上传")
            return redirect("lifeline:device_import")
        rows = estimate_rows(path)
        if rows is None or rows > settings.CITYRENEW_IMPORT_JOB_ROWS:
            job = launch("lifeline.import_devices", owner=request.user, source="import", token=token, filename=filename,
                         dry_run=dry_run, title=("试导入" if dry_run else "导入") + f"感知设备：{filename}"[:180])
            return launched(request, job)
        report = import_devices(path, user=request.user, dry_run=dry_run, name=filename)
        if report.ok and not dry_run:
            Path(path).unlink(missing_ok=True)
            messages.success(request, report.headline())
        return render(request, self.template_name, self.context(
            form=DeviceImportForm(), report=report, token=token, filename=filename, committed=report.ok and not dry_run,
        ), status=200 if report.ok else 400)


# --- assets -------------------------------------------------------------------------------------

class AssetTable(Table):
    columns = [
        Column("code", "对象编码", order_by="code", link=True),
        Column("name", "名称", order_by="name", link=True),
        Column("kind", "类型", order_by=("kind", "code")),
        Column("sector", "行业", order_by=("sector", "code")),
        Column("district", "所在区"),
        Column("equipment", "台账设施设备"),
        Column("operator", "权属/运营单位"),
    ]


class AssetBase:
    queryset = MonitoredAsset.objects.select_related("district", "equipment")
    url_base = "lifeline:monitoredasset"


class AssetListView(AssetBase, ObjectListView):
    filterset_class, table_class = AssetFilterSet, AssetTable


class AssetView(AssetBase, ObjectView):
    pass


class AssetEditView(AssetBase, ObjectEditView):
    form_class = AssetForm


class AssetDeleteView(AssetBase, ObjectDeleteView):
    pass


# --- rules --------------------------------------------------------------------------------------

class RuleTable(Table):
    columns = [
        Column("code", "规则编号", order_by="code", link=True),
        Column("name", "名称", order_by="name", link=True),
        Column("observed_property", "观测属性"),
        Column("sector", "行业"),
        Column("unit_symbol", "单位"),
        Column("levels", "等级与条件", accessor=lambda r: rule_text(r)),
        Column("escalate_after_min", "未确认升级（分钟）", css="num"),
        Column("basis", "依据"),
        Column("enabled", "启用"),
    ]


def rule_text(rule: AlarmRule) -> str:
    try:
        parsed = parse_rule({"id": rule.code, "name": rule.name, **(rule.definition or {})})
    except Exception as exc:  # a stored definition that no longer parses: say so, never hide it
        return f"规则定义有误：{exc}"
    join = {"all": "且", "any": "或"}
    return "；".join(f"{lv.name}：" + join[lv.join].join(c.text(rule.unit_symbol) for c in lv.conditions) for lv in parsed.levels)


class RuleBase:
    queryset = AlarmRule.objects.select_related("observed_property")
    url_base = "lifeline:alarmrule"


class RuleListView(RuleBase, ObjectListView):
    filterset_class, table_class = AlarmRuleFilterSet, RuleTable


class RuleView(RuleBase, ObjectView):
    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"fields": self.field_rows(kwargs["object"]) + [("等级与条件", rule_text(kwargs["object"]))]}


class RuleEditView(RuleBase, ObjectEditView):
    form_class = AlarmRuleForm


class RuleDeleteView(RuleBase, ObjectDeleteView):
    pass


# --- alarms -------------------------------------------------------------------------------------

class AlarmTable(Table):
    columns = [
        Column("level", "等级", order_by=("level_rank", "-since"), link=True),
        Column("device", "设备", accessor=lambda a: f"{a.device.code} {a.device.name}", link=True),
        Column("rule", "规则", accessor="rule.name"),
        Column("value", "读数", accessor=lambda a: f"{a.value:g} {a.datastream.unit_symbol}" if a.value is not None else "", css="num"),
        Column("since", "开始", order_by="since"),
        Column("status", "状态", order_by=("status", "level_rank")),
        Column("acknowledged_by", "确认人"),
        Column("escalations", "升级次数", css="num"),
    ]


class AlarmBase:
    queryset = Alarm.objects.select_related("device", "rule", "datastream", "acknowledged_by")
    url_base = "lifeline:alarm"


class AlarmListView(AlarmBase, ObjectListView):
    filterset_class, table_class = AlarmFilterSet, AlarmTable

    def can_add(self, request: HttpRequest) -> bool:  # alarms come from the rules, never from a form
        return False


class AlarmView(AlarmBase, ObjectView):
    template_name = "lifeline/alarm.html"

    def can_edit(self, request: HttpRequest, obj: Any) -> bool:
        return False

    def can_delete(self, request: HttpRequest, obj: Any) -> bool:
        return False

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        alarm = kwargs["object"]
        steps = list(alarm.steps.select_related("user"))
        timeline = [(alarm.since, "报警", f"{alarm.level}：{alarm.reason or alarm.rule.name}")]
        if alarm.escalated_at:
            timeline.append((alarm.escalated_at, "升级", f"未在 {alarm.rule.escalate_after_min} 分钟内确认，已升级 {alarm.escalations} 次"))
        if alarm.acknowledged_at:
            timeline.append((alarm.acknowledged_at, "确认", f"{alarm.acknowledged_by.get_full_name() or alarm.acknowledged_by}"))
        if alarm.cleared_at:
            timeline.append((alarm.cleared_at, "恢复", f"读数 {alarm.value:g} 恢复正常" if alarm.value is not None else "恢复正常"))
        for s in steps:
            who = s.user.get_full_name() or s.user.get_username() if s.user else "系统"
            timeline.append((s.at, s.get_step_display(), f"{who}：{s.assignee or ''} {s.note}".strip()))
        timeline.sort(key=lambda t: t[0])
        return {"timeline": timeline, "steps": steps, "may_act": may_act(request.user, alarm),
                "step_form": StepForm(), "closed": alarm.status == AlarmStatus.CLOSED}


class AlarmActionView(LoginRequiredMixin, View):
    """POST ``action=ack`` or a disposal step (``StepForm``)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        alarm = get_object_or_404(Alarm.objects.select_related("device", "rule"), pk=pk)
        if not may_act(request.user, alarm):
            return forbidden(request, f"无权处理报警（设备 {alarm.device.code}）：超出您的授权范围。")
        try:
            if request.POST.get("action") == "ack":
                alarm_service.acknowledge(alarm, request.user)
                messages.success(request, "已确认报警")
            else:
                form = StepForm(request.POST, request.FILES)
                if not form.is_valid():
                    messages.error(request, "；".join(f"{form.fields[k].label}：{'、'.join(v)}" if k in form.fields else "、".join(v)
                                                     for k, v in form.errors.items()))
                    return redirect(alarm.get_absolute_url())
                d = form.cleaned_data
                alarm_service.add_step(alarm, d["step"], request.user, note=d["note"], assignee=d["assignee"],
                                       photo=d.get("photo") or None, passed=d.get("passed", "1") != "0")
                messages.success(request, f"已记录：{DisposalStep(d['step']).label}")
        except alarm_service.AlarmError as exc:
            messages.error(request, str(exc))
        return redirect(alarm.get_absolute_url())


# --- dashboard and data -------------------------------------------------------------------------

def active_alarms():
    return (Alarm.objects.filter(status=AlarmStatus.ACTIVE).select_related("device", "rule", "datastream", "acknowledged_by")
            .order_by("level_rank", "-since"))


class DashboardView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        if request.headers.get("HX-Request") and request.GET.get("part") == "alarms":
            return render(request, "lifeline/_alarm_rows.html", {"alarms": active_alarms()[:50], "now": timezone.now()})
        devices = Device.objects.all()
        by_sector = {s.value: {"label": s.label, "devices": 0, "alarms": 0} for s in Sector}
        for row in devices.values("sector").annotate(n=Count("id")):
            by_sector[row["sector"]]["devices"] = row["n"]
        for row in Alarm.objects.filter(status=AlarmStatus.ACTIVE).values("device__sector").annotate(n=Count("id")):
            by_sector[row["device__sector"]]["alarms"] = row["n"]
        by_district = list(
            Alarm.objects.filter(status=AlarmStatus.ACTIVE).values("device__district__name").annotate(n=Count("id")).order_by("-n")
        )
        levels = list(Alarm.objects.filter(status=AlarmStatus.ACTIVE).values("level", "level_rank")
                      .annotate(n=Count("id")).order_by("level_rank"))
        silent = Device.objects.annotate(last=Min("datastreams__latest__time")).filter(
            Q(last__lt=timezone.now() - dt.timedelta(hours=1)) | Q(last__isnull=True)).count()
        ctx = {
            "device_count": devices.count(), "silent": silent,
            "active_count": sum(x["n"] for x in levels), "levels": levels,
            "unacknowledged": Alarm.objects.filter(status=AlarmStatus.ACTIVE, acknowledged_by__isnull=True).count(),
            "sectors": [v for v in by_sector.values() if v["devices"] or v["alarms"]],
            "districts": [{"name": r["device__district__name"] or "未定位", "n": r["n"]} for r in by_district],
            "alarms": active_alarms()[:50], "now": timezone.now(),
        }
        return render(request, "lifeline/dashboard.html", ctx)


MAX_CHART_HOURS = 24 * 366 * 3


class SeriesView(LoginRequiredMixin, View):
    """``/lifeline/datastreams/<id>/series.json?hours=168``: readings (or hourly/daily averages with their
    minimum–maximum band, ``resolution`` raw/hour/day) and the thresholds of its rules."""

    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        ds = get_object_or_404(Datastream.objects.select_related("device"), pk=pk)
        try:
            hours = min(max(int(request.GET.get("hours", "168")), 1), MAX_CHART_HOURS)
        except ValueError:
            return JsonResponse({"error": "hours 须为整数（小时）"}, status=400)
        end = timezone.now() + dt.timedelta(minutes=5)
        data = chart_series(ds.pk, end - dt.timedelta(hours=hours), end)
        thresholds = []
        for rule in AlarmRule.objects.filter(enabled=True, observed_property=ds.observed_property_id, unit_symbol=ds.unit_symbol):
            if rule.sector and rule.sector != ds.device.sector:
                continue
            for lv in parse_rule({"id": rule.code, "name": rule.name, **rule.definition}).levels:
                for c in lv.conditions:
                    if c.kind == "threshold":
                        thresholds.append({"level": lv.name, "value": c.value, "text": c.text(ds.unit_symbol), "rule": rule.name})
        return JsonResponse({
            "name": f"{ds.device.code} {ds.name}", "unit": ds.unit_symbol,
            "points": [[t.isoformat(), v] for t, v in data.points], "thresholds": thresholds,
            "resolution": data.resolution, "band": [[t.isoformat(), lo, hi] for t, lo, hi in data.band],
        })


class StatisticsView(LoginRequiredMixin, View):
    """``/lifeline/statistics/?start=2026-11-01&end=2026-11-30``: by sector and by district, the user's districts
    only; ``&export=xlsx`` the same figures as a workbook (按行业、按区、统计口径)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        scope = stats.scope_for(request.user)
        if scope.empty:
            return forbidden(request, "您没有任何区划的查看权限，无法查看城市生命线统计。")
        try:
            per = stats.period(request.GET.get("start"), request.GET.get("end"))
        except stats.StatisticsError as exc:
            per, error = stats.period(), str(exc)
        else:
            error = ""
        data = stats.compute(per, scope)
        if request.GET.get("export") == "xlsx" and not error:
            return xlsx_response(statistics_workbook(data), f"城市生命线统计_{per.start}_{per.end}.xlsx")
        columns = [(key, label, key in stats.TIME_KEYS) for key, label in stats.COLUMNS]
        tables = [(title, dim, [(r, [stats.cell(r, k) for k, _ in stats.COLUMNS]) for r in rows + [data["total"]]])
                  for title, dim, rows in (("按行业", "sector", data["by_sector"]), ("按区", "district", data["by_district"]))]
        chart = {"sectors": [r["label"] for r in data["by_sector"]], "districts": [r["label"] for r in data["by_district"]],
                 "levels": [{"name": label, "sector": [r[f"level_{rank}"] for r in data["by_sector"]],
                             "district": [r[f"level_{rank}"] for r in data["by_district"]]}
                            for rank, label in stats.LEVELS.items()]
                 + [{"name": "其他等级", "sector": [r["level_other"] for r in data["by_sector"]],
                     "district": [r["level_other"] for r in data["by_district"]]}],
                 "devices": {"sector": [r["devices"] for r in data["by_sector"]], "district": [r["devices"] for r in data["by_district"]]}}
        return render(request, "lifeline/statistics.html", {
            "data": data, "period": per, "columns": columns, "tables": tables, "chart": chart, "error": error,
            "export_query": f"start={per.start}&end={per.end}&export=xlsx",
        }, status=400 if error else 200)


def statistics_workbook(data: dict[str, Any]):
    """The statistics as a workbook: 按行业, 按区 (a row per sector / district, then 合计), 统计口径."""
    from openpyxl import Workbook

    wb = Workbook()
    headers = ["行业"] + [label for _, label in stats.COLUMNS]
    for i, (title, first, rows) in enumerate((("按行业", "行业", data["by_sector"]), ("按区", "区", data["by_district"]))):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = title
        write_table(ws, [first] + headers[1:], ([r["label"]] + [stats.cell(r, k) for k, _ in stats.COLUMNS]
                                                for r in rows + [data["total"]]), widths=[14] + [10] * len(stats.COLUMNS))
    ws = wb.create_sheet("统计口径")
    p = data["period"]
    write_table(ws, ["项目", "口径"], [("统计期", f"{p['start']} 至 {p['end']}（{p['days']} 天）")]
                + [(d["term"], d["meaning"]) for d in data["definitions"]], widths=[22, 100])
    return wb


# --- retention (读数保留期限) --------------------------------------------------------------------

def may_set_retention(user: Any) -> bool:
    """市级管理员 of the city (a district's editors do not hold the city region itself)."""
    here = city()
    return here is not None and permissions.can_edit_regions(user, [here.id])


class RetentionBase:
    queryset = RetentionSettings.objects.select_related("city")
    url_base = "lifeline:retentionsettings"
    list_url_name = "lifeline:retention"

    def can_add(self, request: HttpRequest) -> bool:
        return may_set_retention(request.user) and not RetentionSettings.objects.filter(city=city()).exists()

    def can_edit(self, request: HttpRequest, obj: Any) -> bool:
        return may_set_retention(request.user)


class RetentionView(RetentionBase, ObjectView):
    """The city's periods (the defaults until 市级管理员 sets them), the watermarks and the last jobs."""

    template_name = "lifeline/retention.html"

    def get_object(self, request: HttpRequest, **kwargs: Any) -> Any:
        here = city()
        if here is None:
            raise Http404("尚未加载行政区划")
        return RetentionSettings.objects.filter(city=here).first() or RetentionSettings(city=here)

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        from cityrenew.jobs.models import Job

        from .jobs import RETENTION, ROLLUP

        obj = kwargs["object"]
        raw_days, hourly_days = retention_periods()
        marks = {m.level: m.until for m in RollupMark.objects.all()}
        return {
            "raw_days": raw_days, "hourly_days": hourly_days, "configured": obj.pk is not None,
            "add_url": reverse("lifeline:retentionsettings_add") if obj.pk is None and self.can_add(request) else "",
            "marks": [(label, marks.get(level)) for level, label in RollupMark.LABELS.items()],
            "jobs": [(title, Job.objects.filter(kind=kind).order_by("-created_at").first())
                     for kind, title in ((ROLLUP, "读数聚合"), (RETENTION, "数据保留清理"))],
        }


class RetentionEditView(RetentionBase, ObjectEditView):
    form_class = RetentionForm

    def save(self, request: HttpRequest, form: Any, formsets: dict[str, Any]) -> Any:
        obj = form.save(commit=False)
        if obj.pk is None:
            obj.city = city()
        obj.save()
        return obj

"""Pages: renewal task lists and progress per ledger (/ledgers/tasks/<kind>/), launching the evaluation job,
Excel exports of verdicts and task lists, the city's rule configuration, ledger rows → a draft project."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from openpyxl import Workbook

from cityrenew.core.audit import actor
from cityrenew.core.permissions import is_city_admin
from cityrenew.core.views import forbidden
from cityrenew.core.xlsx import XlsxBook, write_table, xlsx_response
from cityrenew.jobs.runner import launch
from cityrenew.jobs.views import launched
from cityrenew.ledgers.models import LEDGER_MODELS
from cityrenew.ledgers.rules import RuleError, available_provinces

from .models import CityRuleSettings, LedgerEvaluation, LedgerProjectLink, LedgerVerdict
from .services import (
    KIND_LABELS,
    MANDATORY,
    LedgerTaskError,
    city_of,
    progress_by,
    rows_to_project,
    settings_for,
    task_lines,
    visible_region_ids,
)


def _kind(kind: str) -> str:
    if kind not in LEDGER_MODELS:
        raise Http404("未知的台账类型")
    return kind


def _visible_verdicts(user, kind: str, city):
    qs = LedgerVerdict.objects.filter(kind=kind, region__path__startswith=city.path).select_related("region")
    ids = visible_region_ids(user)
    return qs if ids is None else qs.filter(region_id__in=ids)


class TaskListView(LoginRequiredMixin, View):
    """更新任务清单与进度: verdict counts, task lines by district and category with the yearly plan to the
    deadline, progress by district and by category (chart), exports, and (市级管理员) the evaluation."""

    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        kind = _kind(kind)
        city = city_of(request.user)
        lines = task_lines(kind, city, user=request.user)
        if request.GET.get("export") == "xlsx":
            return xlsx_response(task_workbook(kind, lines), f"{KIND_LABELS[kind]}更新任务清单.xlsx")
        years = sorted({y for l in lines for y in l.per_year})
        verdicts = _visible_verdicts(request.user, kind, city)
        from django.db.models import Count

        counts = list(verdicts.values("verdict").annotate(n=Count("id")).order_by("-n"))
        by_district, by_category = progress_by(lines, "district"), progress_by(lines, "category")
        conf = settings_for(city)
        return render(request, "ledgertasks/tasks.html", {
            "kind": kind, "kind_label": KIND_LABELS[kind], "city": city, "lines": lines, "years": years,
            "counts": counts, "by_district": by_district, "by_category": by_category,
            "chart": {"districts": by_district, "categories": by_category},
            "evaluation": LedgerEvaluation.objects.filter(kind=kind, city=city).select_related("evaluated_by").first(),
            "can_evaluate": is_city_admin(request.user) or request.user.is_superuser, "settings": conf,
            "provinces": available_provinces(kind), "mandatory": "、".join(MANDATORY[kind]), "today": date.today().isoformat(),
        })

    def post(self, request: HttpRequest, kind: str) -> HttpResponse:
        """Launch ``ledgers.evaluate`` for the whole city (市级管理员 only)."""
        kind = _kind(kind)
        if not (is_city_admin(request.user) or request.user.is_superuser):
            return forbidden(request, "无权判定台账：只有市级管理员可以对全市台账运行更新规则判定。",
                             back_url=reverse("ledgertasks:tasks", args=[kind]), back_label="返回任务清单")
        city = city_of(request.user)
        province = request.POST.get("province", "").strip()
        if province and province not in available_provinces(kind):
            messages.error(request, f"“{province}”没有{KIND_LABELS[kind]}更新规则目录（可选：{'、'.join(available_provinces(kind))}）")
            return redirect("ledgertasks:tasks", kind)
        as_of = request.POST.get("as_of", "").strip()
        try:
            if as_of:
                date.fromisoformat(as_of)
        except ValueError:
            messages.error(request, f"判定基准日“{as_of}”不是有效日期（应为 YYYY-MM-DD）")
            return redirect("ledgertasks:tasks", kind)
        if not province and settings_for(city) is None:
            messages.error(request, f"{city.display_name}尚未设置适用的省份规则目录：请先选择省份或在“规则配置”中设置")
            return redirect("ledgertasks:tasks", kind)
        job = launch("ledgers.evaluate", owner=request.user, ledger_kind=kind, city_id=city.pk, province=province, as_of=as_of,
                     title=f"判定{city.display_name}{KIND_LABELS[kind]}台账（{province or settings_for(city).province}）")
        return launched(request, job)


def task_workbook(kind: str, lines) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "更新任务清单"
    years = sorted({y for l in lines for y in l.per_year})
    headers = ["区县", "类别", "单位", "任务量", "已完成", "剩余", "完成率（%）", "行数", "完成时限", "时限依据",
               *[f"{y}年计划" for y in years]]
    rows = [[l.district, l.category, l.unit, l.target, l.completed, round(l.remaining, 3), l.progress_pct, l.rows,
             f"{l.deadline.year}年底" if l.deadline else l.no_deadline,
             (f"{l.deadline.citation}：{l.deadline.citation.note}" if l.deadline else ""), *[l.per_year.get(y, "") for y in years]]
            for l in lines]
    write_table(ws, headers, rows, widths=[12, 16, 8, 12, 12, 12, 12, 8, 12, 50] + [12] * len(years))
    return wb


class VerdictExportView(LoginRequiredMixin, View):
    """判定结果 Excel: one row per ledger row the user may see, every fired rule with its source and reason."""

    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        kind = _kind(kind)
        city = city_of(request.user)
        qs = _visible_verdicts(request.user, kind, city).order_by("code")
        wb = XlsxBook()  # XlsxWriter: a whole city's verdicts; text never becomes a formula
        ws = wb.add_sheet("更新判定")
        rows = ([v.code, v.region.display_name, v.category, v.verdict, "\n".join(r.get("id", "") for r in v.rules),
                 "\n".join(r.get("source", "") for r in v.rules), "\n".join(r.get("reason", "") for r in v.rules),
                 v.province, v.ruleset_version, v.as_of.isoformat(), v.evaluated_at.strftime("%Y-%m-%d %H:%M")]
                for v in qs.iterator(chunk_size=5000))
        wb.table(ws, ["编号", "所在区域", "类别", "判定结果", "命中规则", "依据", "理由", "规则目录省份", "规则集版本", "判定基准日", "判定时间"],
                 rows, widths=[20, 12, 14, 12, 16, 50, 60, 10, 30, 12, 18])
        return xlsx_response(wb, f"{KIND_LABELS[kind]}更新判定.xlsx")


class RuleSettingsView(LoginRequiredMixin, View):
    """城市规则配置: the province whose catalogue applies, reading overrides, local rules (市级管理员 edits; audited)."""

    def _ctx(self, request, city, conf, **extra):
        from cityrenew.ledgers.rules import packaged_rulesets

        readings = {}
        for rs in packaged_rulesets():
            for rid, r in rs.readings.items():
                readings.setdefault(rid, (rs.province, r))
        rulesets = []
        if conf is not None and conf.province:
            from cityrenew.ledgers.rules import KINDS, ruleset_for

            for kind in KINDS:
                try:
                    rulesets.append((KIND_LABELS[kind], ruleset_for(kind, conf.province)))
                except RuleError:
                    continue
        return {"city": city, "conf": conf, "provinces": available_provinces(), "readings": sorted(readings.items()), "rulesets": rulesets,
                "can_edit": is_city_admin(request.user) or request.user.is_superuser, **extra}

    def get(self, request: HttpRequest) -> HttpResponse:
        city = city_of(request.user)
        return render(request, "ledgertasks/settings.html", self._ctx(request, city, settings_for(city)))

    def post(self, request: HttpRequest) -> HttpResponse:
        city = city_of(request.user)
        if not (is_city_admin(request.user) or request.user.is_superuser):
            return forbidden(request, "无权修改城市规则配置：只有市级管理员可以修改。", back_url=reverse("ledgertasks:settings"),
                             back_label="返回规则配置")
        conf = settings_for(city) or CityRuleSettings(city=city)
        conf.province = request.POST.get("province", "").strip()
        readings = {}
        for line in request.POST.get("readings", "").splitlines():
            if line.strip():
                rid, _, label = line.partition("=")
                readings[rid.strip()] = label.strip()
        conf.readings = readings
        conf.local_rules = request.POST.get("local_rules", "")
        errors = []
        if conf.province not in available_provinces():
            errors.append(f"“{conf.province}”没有更新规则目录（可选：{'、'.join(available_provinces())}）")
        else:
            try:
                conf.rule_config()
            except RuleError as exc:
                errors.append(str(exc))
        if errors:
            return render(request, "ledgertasks/settings.html", self._ctx(request, city, conf, errors=errors), status=400)
        with actor(request.user, "web"):
            conf.save()
        messages.success(request, f"已保存{city.display_name}的规则配置：{conf.province}")
        return redirect("ledgertasks:settings")


class RowsToProjectView(LoginRequiredMixin, View):
    """Pick ledger rows (mandatory verdicts, not yet in a project) → one draft project in the library."""

    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        kind = _kind(kind)
        city = city_of(request.user)
        linked = LedgerProjectLink.objects.filter(kind=kind).values("row_id")
        qs = _visible_verdicts(request.user, kind, city).filter(verdict__in=MANDATORY[kind]).exclude(row_id__in=linked)
        region = request.GET.get("region", "")
        category = request.GET.get("category", "")
        if region.isdigit():
            from cityrenew.core.models import Region

            r = Region.objects.filter(pk=int(region)).first()
            qs = qs.filter(region__path__startswith=r.path) if r else qs.none()
        if category:
            qs = qs.filter(category=category)
        return render(request, "ledgertasks/to_project.html", {
            "kind": kind, "kind_label": KIND_LABELS[kind], "rows": qs.order_by("region__code", "category", "code")[:500],
            "total": qs.count(), "category": category,
        })

    def post(self, request: HttpRequest, kind: str) -> HttpResponse:
        kind = _kind(kind)
        ids = [int(x) for x in request.POST.getlist("row") if x.isdigit()]
        visible = visible_region_ids(request.user)
        model = LEDGER_MODELS[kind]
        if visible is not None and model.objects.filter(pk__in=ids).exclude(region_id__in=visible).exists():
            return forbidden(request, "无权使用所选台账行：超出您的授权区划范围。", back_url=reverse("ledgertasks:to_project", args=[kind]),
                             back_label="返回")
        try:
            project = rows_to_project(kind, ids, request.user, name=request.POST.get("name", "").strip())
        except LedgerTaskError as exc:
            messages.error(request, str(exc))
            return redirect("ledgertasks:to_project", kind)
        except ValidationError as exc:  # the project's own validation, shown in Chinese, never a traceback
            messages.error(request, "；".join(exc.messages))
            return redirect("ledgertasks:to_project", kind)
        messages.success(request, f"已由{len(ids)}行{KIND_LABELS[kind]}台账生成谋划项目 {project.code}")
        return redirect(project.get_absolute_url())

"""Core pages: 工作台, 我的待办, 行政区划, 审计日志, 个人信息."""

from __future__ import annotations

import importlib
import importlib.util
import posixpath
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, TemplateView
from openpyxl import Workbook

from cityrenew.catalogue.policies import cite

from . import inbox, navigation, permissions, uploads
from .audit import display_entries
from .choices import RegionLevel
from .choices import INBOX_INFO_GROUPS, InboxGroup
from .filtersets import AuditLogFilterSet, RegionFilterSet
from .models import AuditLog, Region
from .xlsx import write_table, xlsx_response


@login_required
def media(request: HttpRequest, path: str) -> HttpResponse:
    """Uploaded attachments (佐证材料, 问题照片), for signed-in users who may read the object a file
    belongs to; images and PDF inline, everything else as a download (see ``core/uploads.py``).

    Only prefixes an app registered are served (``uploads.register_attachments``): import files kept
    between a dry run and its confirmation never are, nor files no object refers to.
    """
    clean = posixpath.normpath(path).lstrip("/")  # "checkup/photos/../../x" is judged as "x"
    prefix = next((p for p in uploads.ATTACHMENT_RULES if clean.startswith(p)), None)
    if prefix is None or clean.startswith(".."):
        raise Http404("文件不存在")
    allowed = uploads.ATTACHMENT_RULES[prefix](request.user, clean)
    if allowed is None:
        raise Http404("文件不存在")
    if not allowed:
        return forbidden(request, "您无权查看该附件：它属于您不能查看的任务或记录。")
    root = Path(settings.MEDIA_ROOT).resolve()
    full = (root / clean).resolve()
    if not full.is_relative_to(root) or not full.is_file():
        raise Http404("文件不存在")
    return uploads.attachment_response(full, full.name)


def forbidden(request: HttpRequest, message: str, *, hint: str = "", back_url: str = "", back_label: str = "") -> HttpResponse:
    """The Chinese 403 page, naming what was refused and why (shared by every app)."""
    ctx = {"message": message, "hint": hint, "back_url": back_url, "back_label": back_label}
    return render(request, "403.html", ctx, status=403)


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "core/home.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if navigation.is_department_only(request.user):
            return redirect("core:inbox")  # a department clerk starts from its tasks
        if navigation.audiences(request.user) == {navigation.ENTITY}:
            return redirect("plans:plan_list")  # an implementing entity starts from its plans
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["recent_changes"] = display_entries(
            permissions.visible_audit(self.request.user, AuditLog.objects.select_related("user", "content_type"))[:12]
        )
        ctx["can_edit"] = permissions.can_edit_any(self.request.user)
        # Each app contributes a card: see <app>/dashboard.py (optional).
        cards = []
        for mod in ("cityrenew.projects.dashboard", "cityrenew.checkup.dashboard"):
            if importlib.util.find_spec(mod) is not None:
                cards.append(importlib.import_module(mod).card(self.request))
        ctx["cards"] = cards
        return ctx


class InboxView(LoginRequiredMixin, TemplateView):  # 我的待办
    template_name = "core/inbox.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        items = inbox.items_for(self.request.user)
        ctx["groups"] = [(value, label, items[value], value in INBOX_INFO_GROUPS) for value, label in InboxGroup.choices]
        ctx["total"] = inbox.count_for(self.request.user, items)  # also the badge's count: read once
        return ctx
REGION_CODE_SOURCE = cite("GB-T-2260", "序号410100", "县级及以上区划用本标准代码（如郑州市 410100）；街道、社区为本地编码",
                          rule="行政区划代码")


class RegionListView(LoginRequiredMixin, TemplateView):
    template_name = "core/region_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        fs = RegionFilterSet(self.request.GET, queryset=Region.objects.select_related("parent", "group"))
        ctx["filter"] = fs
        ctx["regions"] = fs.qs.annotate(n_children=Count("children"))
        ctx["region_code_source"] = REGION_CODE_SOURCE
        ctx["can_import_boundaries"] = permissions.is_city_admin(self.request.user)
        return ctx


class RegionDetailView(LoginRequiredMixin, DetailView):
    model = Region
    template_name = "core/region_detail.html"
    context_object_name = "region"


def visible_audit_of(request: HttpRequest):
    """The audit entries the signed-in user may read (the page and its xlsx export alike)."""
    return permissions.visible_audit(request.user, AuditLog.objects.select_related("user", "content_type"))


class AuditLogListView(LoginRequiredMixin, TemplateView):
    template_name = "core/audit_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        visible = visible_audit_of(self.request)
        fs = AuditLogFilterSet(self.request.GET, queryset=visible)
        # the 操作人 choices: only people who appear in the entries this user may read
        people = get_user_model().objects.filter(pk__in=visible.values("user")).order_by("username")
        fs.filters["user"].queryset = people
        fs.filters["user"].field.queryset = people  # the field is already built (its labels are set in the filterset)
        page = Paginator(fs.qs, 50).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx.update(filter=fs, page=page, entries=display_entries(page.object_list), query=query.urlencode())
        return ctx


class AuditLogExportView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        fs = AuditLogFilterSet(request.GET, queryset=visible_audit_of(request))
        wb = Workbook()
        ws = wb.active
        ws.title = "审计日志"
        def rows():
            qs = fs.qs[:100000]
            chunk = []
            for e in qs.iterator(chunk_size=2000):
                chunk.append(e)
                if len(chunk) == 2000:
                    yield from _export_rows(chunk)
                    chunk = []
            yield from _export_rows(chunk)

        write_table(ws, ["时间（北京时间）", "操作人", "账号", "来源", "动作", "对象类型", "对象编号", "对象", "变更内容", "备注"],
                    rows(), widths=[18, 14, 14, 8, 8, 14, 14, 40, 80, 30])
        return xlsx_response(wb, "审计日志.xlsx")


def _export_rows(entries: list[AuditLog]):
    for d in display_entries(entries):
        yield (d.time, d.user, d.username, d.source, d.action, d.object_type, d.entry.object_id, d.object,
               d.changes_text, d.note)


class ProfileView(LoginRequiredMixin, TemplateView):
    template_name = "core/profile.html"


# --- region boundaries by file (区划边界导入) ------------------------------------------------------------
# Imported here, below ``forbidden``: the generic views import that function from this module.
from .generic.geoimport import GeoFileImportForm, GeoFileImportView


class BoundaryImportForm(GeoFileImportForm):  # 区划边界导入
    parent = forms.ChoiceField(label="上级区划", required=False,
                               help_text="在其下按名称匹配；名称找不到时在其下新建为“开发区（功能区）”。留空：只更新已有区划")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parents = Region.objects.filter(level__in=[RegionLevel.CITY, RegionLevel.DISTRICT]).order_by("path")
        self.fields["parent"].choices = [("", "（不新建区划）")] + [(str(r.pk), r.place_label() if r.level != RegionLevel.CITY else r.name) for r in parents]


class BoundaryImportView(GeoFileImportView):
    """区划边界导入 for 市级管理员: any polygon layer with a name column (see :mod:`cityrenew.core.boundaries`)."""

    title = "导入区划边界（GeoPackage / Shapefile / GeoJSON）"
    intro = ("任意面图层，按名称（或简称、别名）匹配行政区划，写入边界；如开发区（经开区、高新区、郑东新区、航空港区）等缺少边界的区划。"
             "非面要素按行列出并拒绝；自相交的面自动修复并计数；图层落在本市范围之外时整份拒绝。")
    match_label = "名称字段"
    upload_kind = "region-boundaries"
    back_label = "行政区划"
    form_class = BoundaryImportForm

    @property
    def back_url(self) -> str:  # type: ignore[override]
        return reverse("core:region_list")

    def can_import(self, request: HttpRequest) -> bool:
        return permissions.is_city_admin(request.user)

    def denial(self, request: HttpRequest) -> str:
        return "无权导入区划边界：只有市级管理员可以导入或修改行政区划边界"

    def extra_options(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        return {"parent": cleaned.get("parent") or ""}

    def run(self, request: HttpRequest, path: Any, options: dict[str, Any], *, dry_run: bool, name: str):
        from .boundaries import import_boundaries

        parent = Region.objects.filter(pk=options["parent"]).first() if options.get("parent") else None
        return import_boundaries(path, name_field=options["match_field"], crs=options["crs"], layer=options["layer"],
                                 parent=parent, user=request.user, dry_run=dry_run, name=name)

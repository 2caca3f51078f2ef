"""Core pages: 工作台, 行政区划, 审计日志, 政策依据, 个人信息."""

from __future__ import annotations

import importlib
import posixpath
import importlib.util
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Count
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.static import serve as static_serve
from django.shortcuts import render
from django.views import View
from django.views.generic import DetailView, TemplateView
from openpyxl import Workbook

from cityrenew.catalogue.policies import DOCUMENTS, cite

from . import permissions
from .filtersets import AuditLogFilterSet, RegionFilterSet
from .models import AuditLog, Region
from .xlsx import write_table, xlsx_response


# Uploaded attachments people may open (佐证材料, 问题照片); import files kept between a dry run and
# its confirmation are never served.
SERVED_MEDIA_PREFIXES = ("checkup/evidence/", "checkup/photos/")


@login_required
def media(request: HttpRequest, path: str) -> HttpResponse:
    """Uploaded attachments, for signed-in users only (never a public directory listing)."""
    clean = posixpath.normpath(path).lstrip("/")  # "checkup/photos/../../x" is judged as "x"
    if not clean.startswith(SERVED_MEDIA_PREFIXES):
        raise Http404("文件不存在")
    return static_serve(request, clean, document_root=settings.MEDIA_ROOT)


def forbidden(request: HttpRequest, message: str, *, hint: str = "", back_url: str = "", back_label: str = "") -> HttpResponse:
    """The Chinese 403 page, naming what was refused and why (shared by every app)."""
    ctx = {"message": message, "hint": hint, "back_url": back_url, "back_label": back_label}
    return render(request, "403.html", ctx, status=403)


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "core/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["recent_changes"] = permissions.visible_audit(self.request.user, AuditLog.objects.select_related("user", "content_type"))[:12]
        ctx["can_edit"] = permissions.can_edit_any(self.request.user)
        # Each app contributes a card: see <app>/dashboard.py (optional).
        cards = []
        for mod in ("cityrenew.projects.dashboard", "cityrenew.checkup.dashboard"):
            if importlib.util.find_spec(mod) is not None:
                cards.append(importlib.import_module(mod).card(self.request))
        ctx["cards"] = cards
        return ctx


class RegionListView(LoginRequiredMixin, TemplateView):
    template_name = "core/region_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        fs = RegionFilterSet(self.request.GET, queryset=Region.objects.select_related("parent", "group"))
        ctx["filter"] = fs
        ctx["regions"] = fs.qs.annotate(n_children=Count("children"))
        ctx["region_code_source"] = cite("GB-T-2260", "（县级及以上）；街道、社区为本地编码")
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
        fs.filters["user"].queryset = get_user_model().objects.filter(pk__in=visible.values("user")).order_by("username")
        page = Paginator(fs.qs, 50).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx.update(filter=fs, page=page, query=query.urlencode())
        return ctx


class AuditLogExportView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        fs = AuditLogFilterSet(request.GET, queryset=visible_audit_of(request))
        wb = Workbook()
        ws = wb.active
        ws.title = "审计日志"
        rows = (
            (
                e.timestamp.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
                e.user_name or "系统",
                e.get_source_display(),
                e.get_action_display(),
                e.content_type.name,
                e.object_id,
                e.object_repr,
                "; ".join(f"{k}: {v[0]} → {v[1]}" for k, v in (e.changes or {}).items() if isinstance(v, list) and len(v) == 2),
            )
            for e in fs.qs[:100000]
        )
        write_table(ws, ["时间", "操作人", "来源", "动作", "对象类型", "对象编号", "对象", "变更内容"], rows,
                    widths=[20, 14, 8, 8, 14, 14, 40, 80])
        return xlsx_response(wb, "审计日志.xlsx")


class PolicyListView(LoginRequiredMixin, TemplateView):
    template_name = "core/policy_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["documents"] = list(DOCUMENTS.values())
        return ctx


class ProfileView(LoginRequiredMixin, TemplateView):
    template_name = "core/profile.html"

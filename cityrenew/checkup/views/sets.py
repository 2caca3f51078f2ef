"""Indicator sets (指标体系): list, detail with local indicators, retire/restore, diff, copy."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from cityrenew.core.choices import RegionLevel
from cityrenew.core.generic import Column, ObjectListView, Table
from cityrenew.core.models import Region

from .. import services
from ..catalogue import (
    DIFF_SOURCE,
    SETS_SOURCE,
    add_local_indicator,
    copy_set,
    diff_sets,
    retire_indicator,
)
from ..choices import (
    DIMENSION_SOURCE,
    Dimension,
)
from ..forms import (
    CopySetForm,
    LocalIndicatorForm,
    SetDiffForm,
)
from ..models import (
    Indicator,
    IndicatorSet,
)
from .common import _error_text, forbidden

# --- indicator sets ---------------------------------------------------------------------------


class SetTable(Table):  # 指标体系
    columns = [
        Column("code", "编码", order_by="code", link=True),
        Column("name", "名称", order_by="name", link=True),
        Column("year", "年度", order_by="year", css="num"),
        Column("kind", "类型"),
        Column("city", "城市"),
        Column("n", "指标数", css="num"),
        Column("n_retired", "已停用", css="num"),
        Column("copied_from", "复制自", accessor="copied_from.code"),
    ]


class SetListView(ObjectListView):
    """All indicator sets, newest first, with counts and the diff form."""

    queryset = IndicatorSet.objects.select_related("city", "copied_from")
    table_class = SetTable
    paginate_by = 200
    template_name = "checkup/set_list.html"
    url_base = "checkup:set"
    export_filename = "指标体系.xlsx"

    def get_queryset(self, request: HttpRequest):
        return self.queryset.annotate(
            n=Count("indicators", filter=Q(indicators__retired=False)),
            n_retired=Count("indicators", filter=Q(indicators__retired=True)),
        ).order_by("-year", "code")

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        ordered = list(self.get_queryset(request))
        initial = {"old": ordered[1], "new": ordered[0]} if len(ordered) > 1 else {}
        return {"sets": kwargs["page"].object_list, "diff_form": SetDiffForm(initial=initial), "sets_source": SETS_SOURCE}


def grouped_indicators(qs) -> list[dict[str, Any]]:
    """Indicators grouped by dimension (in the manual's order), each group with its rows."""
    by_dim: dict[str, list[Indicator]] = defaultdict(list)
    for ind in qs:
        by_dim[ind.dimension].append(ind)
    return [{"key": d, "label": label, "indicators": by_dim[d]} for d, label in Dimension.choices if by_dim[d]]


class SetDetailView(LoginRequiredMixin, TemplateView):
    template_name = "checkup/set_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        s = get_object_or_404(IndicatorSet.objects.select_related("city", "copied_from"), pk=kwargs["pk"])
        qs = s.indicators.order_by("number").prefetch_related("sub_problems")
        city = s.city or Region.objects.filter(level=RegionLevel.CITY).order_by("code").first()
        ctx.update(
            set=s, groups=grouped_indicators(qs), n_active=qs.filter(retired=False).count(),
            n_retired=qs.filter(retired=True).count(), dimension_source=DIMENSION_SOURCE,
            can_copy=city is not None and services.can_manage_city(self.request.user, city),
            copy_form=CopySetForm(initial={"city": city, "code": f"{s.code}-{city.code if city else ''}",
                                           "name": f"{city.display_name if city else ''}{s.name}"}),
            others=IndicatorSet.objects.exclude(pk=s.pk).order_by("-year", "code"),
            can_edit=s.city_id is not None and services.can_manage_city(self.request.user, s.city),
            local_form=kwargs.get("local_form") or LocalIndicatorForm(user=self.request.user),
        )
        return ctx

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Add a local indicator to a city's set (城市特色指标), with its policy source."""
        s = get_object_or_404(IndicatorSet, pk=pk)
        if s.city_id is None or not services.can_manage_city(request.user, s.city):
            return forbidden(request, "国家基础指标体系不能直接修改；城市的指标体系只有该市的市级管理员可以增设指标。")
        form = LocalIndicatorForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(pk=pk, local_form=form), status=400)
        fields = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        try:
            ind = add_local_indicator(s, **fields)
        except (ValueError, ValidationError) as exc:
            form.add_error(None, _error_text(exc))
            return self.render_to_response(self.get_context_data(pk=pk, local_form=form), status=400)
        messages.success(request, f"已增设地方指标{ind.number}“{ind.name}”")
        return redirect(reverse("checkup:set_detail", args=[pk]) + f"#dim-{ind.dimension}")


class IndicatorRetireView(LoginRequiredMixin, View):
    """Retire (停用) or restore an indicator of a city's set; kept for history, left out of new runs."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ind = get_object_or_404(Indicator.objects.select_related("indicator_set__city"), pk=pk)
        s = ind.indicator_set
        if s.city_id is None or not services.can_manage_city(request.user, s.city):
            return forbidden(request, "国家基础指标体系中的指标不能停用，请先复制为本市指标体系；只有该市的市级管理员可以停用指标。")
        if request.POST.get("restore"):
            ind.retired = False
            ind.save()
            messages.success(request, f"已恢复指标{ind.number}“{ind.name}”")
        else:
            try:
                retire_indicator(ind)
            except ValueError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"已停用指标{ind.number}“{ind.name}”（保留历史，新的体检不再使用）")
        return redirect(reverse("checkup:set_detail", args=[s.pk]) + f"#dim-{ind.dimension}")


class SetDiffView(LoginRequiredMixin, TemplateView):
    template_name = "checkup/set_diff.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        form = SetDiffForm(self.request.GET or None)
        diff = None
        if form.is_valid():
            diff = diff_sets(form.cleaned_data["old"], form.cleaned_data["new"])
        ctx.update(form=form, diff=diff, diff_source=DIFF_SOURCE)
        return ctx


class SetCopyView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        source = get_object_or_404(IndicatorSet, pk=pk)
        form = CopySetForm(request.POST)
        if not form.is_valid():
            for field, errs in form.errors.items():
                for e in errs:
                    messages.error(request, f"{form.fields[field].label if field in form.fields else ''}：{e}")
            return redirect("checkup:set_detail", pk=pk)
        city = form.cleaned_data["city"]
        if not services.can_manage_city(request.user, city):
            return forbidden(request, f"只有{city.display_name}的市级管理员可以复制指标体系。")
        try:
            new = copy_set(source, city, form.cleaned_data["code"], form.cleaned_data["name"])
        except ValueError as exc:
            messages.error(request, str(exc))
            return redirect("checkup:set_detail", pk=pk)
        messages.success(request, f"已复制为“{new.name}”（{new.code}），共 {new.indicators.count()} 项指标")
        return redirect("checkup:set_detail", pk=new.pk)

"""Filterset of the reference-layer list (参考图层)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q

from cityrenew.core.filtersets import FilterSet

from .models import ReferenceLayer, ReferenceLayerKind


class ReferenceLayerFilterSet(FilterSet):  # 参考图层筛选
    kind = django_filters.ChoiceFilter(label="类型", choices=ReferenceLayerKind.choices, empty_label="全部类型")
    basemap = django_filters.BooleanFilter(label="用作底图", widget=forms.Select(choices=[("", "全部"), ("true", "是"), ("false", "否")]))
    q = django_filters.CharFilter(label="关键词", method="filter_q")

    class Meta:
        model = ReferenceLayer
        fields = ("kind", "basemap")

    def filter_q(self, qs, name, value):
        value = (value or "").strip()
        if not value:
            return qs
        return qs.filter(Q(name__icontains=value) | Q(title__icontains=value) | Q(source__icontains=value))

"""One filterset per model of the performance app: the list pages, the API and the exports use the same one."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from cityrenew.core.choices import RegionLevel
from cityrenew.core.filtersets import FilterSet
from cityrenew.core.models import Region

from .choices import TableKind, TableState
from .models import Evaluation, ResidentEvaluation, TargetTable

CITIES = Region.objects.filter(level=RegionLevel.CITY)


class TargetTableFilterSet(FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="关键词（名称或项目）")
    city = django_filters.ModelChoiceFilter(queryset=CITIES, label="城市")
    kind = django_filters.ChoiceFilter(choices=TableKind.choices, label="类型")
    state = django_filters.ChoiceFilter(choices=TableState.choices, label="状态")
    year = django_filters.NumberFilter(label="年度")

    class Meta:
        model = TargetTable
        fields = ["q", "city", "kind", "state", "year"]

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = (value or "").strip()
        if not value:
            return qs
        return qs.filter(Q(title__icontains=value) | Q(project__name__icontains=value) | Q(project__code__icontains=value))


class EvaluationFilterSet(FilterSet):
    city = django_filters.ModelChoiceFilter(queryset=CITIES, label="城市")
    year = django_filters.NumberFilter(label="评价年度")

    class Meta:
        model = Evaluation
        fields = ["city", "year"]


class ResidentEvaluationFilterSet(FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="关键词（小区或项目）")
    region = django_filters.ModelChoiceFilter(
        queryset=Region.objects.filter(level__in=[RegionLevel.CITY, RegionLevel.DISTRICT]), method="filter_region",
        label="区域")
    year = django_filters.NumberFilter(label="年度")

    class Meta:
        model = ResidentEvaluation
        fields = ["q", "region", "year"]

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = (value or "").strip()
        if not value:
            return qs
        return qs.filter(Q(community__name__icontains=value) | Q(community__code__icontains=value)
                         | Q(project__name__icontains=value) | Q(project__code__icontains=value))

    def filter_region(self, qs: QuerySet, name: str, value: Region | None) -> QuerySet:
        return qs.filter(region__path__startswith=value.path) if value else qs

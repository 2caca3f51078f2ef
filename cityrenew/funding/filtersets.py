"""Filtersets of the funding app: the list pages, the API and the exports use the same ones."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from cityrenew.core.filtersets import FilterSet
from cityrenew.core.models import Region
from cityrenew.projects.choices import FundingSource
from cityrenew.projects.filtersets import in_region

from .choices import TrancheState
from .models import FundingLine, Tranche


class _ProjectFilters(FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="项目（编号或名称）")
    district = django_filters.ModelChoiceFilter(
        queryset=Region.objects.filter(level__in=["province", "city", "district"]), method="filter_district", label="区域")
    channel = django_filters.ChoiceFilter(choices=FundingSource.choices, label="资金渠道")
    year = django_filters.NumberFilter(label="年度")

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = (value or "").strip()
        return qs.filter(Q(project__code__icontains=value) | Q(project__name__icontains=value)) if value else qs

    def filter_district(self, qs: QuerySet, name: str, value: Region | None) -> QuerySet:
        if not value:
            return qs
        from cityrenew.projects.models import RenewalProject

        return qs.filter(project__in=in_region(RenewalProject.objects.all(), value))


class FundingLineFilterSet(_ProjectFilters):
    class Meta:
        model = FundingLine
        fields = ["q", "district", "channel", "year"]


class TrancheFilterSet(_ProjectFilters):
    state = django_filters.ChoiceFilter(choices=TrancheState.choices, label="状态")

    class Meta:
        model = Tranche
        fields = ["q", "district", "channel", "year", "state"]

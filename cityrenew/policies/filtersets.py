"""Filterset of the policy library (政策库): one for the list page and the API alike."""

from __future__ import annotations

import re

import django_filters
from django.db.models import Q

from cityrenew.core.filtersets import FilterSet

from .models import Level, PolicyDocument, Status
from .status import with_current_status

ISSUER_SPLIT = re.compile(r"[、，,；;\s]+")


def region_choices() -> list[tuple[str, str]]:
    values = PolicyDocument.objects.exclude(region="").order_by("region").values_list("region", flat=True).distinct()
    return [(v, v) for v in values]


def issuer_choices() -> list[tuple[str, str]]:
    """Each issuing body once: joint issuers (“财政部办公厅、住房城乡建设部办公厅”) are split."""
    names: set[str] = set()
    for value in PolicyDocument.objects.exclude(issuer="").values_list("issuer", flat=True).distinct():
        names.update(n for n in ISSUER_SPLIT.split(value) if n)
    return [(n, n) for n in sorted(names)]


def year_choices() -> list[tuple[str, str]]:
    years = {d.year for d in PolicyDocument.objects.exclude(issued=None).values_list("issued", flat=True)}
    return [(str(y), f"{y}年") for y in sorted(years, reverse=True)]


class PolicyDocumentFilterSet(FilterSet):  # 政策文件筛选
    q = django_filters.CharFilter(label="标题、文号", method="filter_q")
    level = django_filters.ChoiceFilter(label="层级", choices=Level.choices)
    region = django_filters.ChoiceFilter(label="适用地区", choices=region_choices)
    issuer = django_filters.ChoiceFilter(label="发文机关", choices=issuer_choices, method="filter_issuer")
    year = django_filters.ChoiceFilter(label="发布年份", choices=year_choices, method="filter_year")
    status = django_filters.ChoiceFilter(label="效力状态", choices=Status.choices, method="filter_status")

    class Meta:
        model = PolicyDocument
        fields = ("q", "level", "region", "issuer", "year", "status")

    def filter_q(self, qs, name, value: str):
        value = (value or "").strip()
        if not value:
            return qs
        return qs.filter(Q(title__icontains=value) | Q(number__icontains=value) | Q(key__icontains=value)
                         | Q(issuer__icontains=value))

    def filter_issuer(self, qs, name, value: str):
        return qs.filter(issuer__contains=value) if value else qs

    def filter_year(self, qs, name, value: str):
        return qs.filter(issued__year=int(value)) if value else qs

    def filter_status(self, qs, name, value: str):
        """By the status as of today (dates overrule the stored one: see :mod:`.status`)."""
        if not value:
            return qs
        if "current_status" not in qs.query.annotations:
            qs = with_current_status(qs)
        return qs.filter(current_status=value)

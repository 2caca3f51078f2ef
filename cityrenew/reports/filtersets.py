"""The filterset of the progress reports: the list page, its Excel export and the API use the same one."""

from __future__ import annotations

import django_filters

from cityrenew.core.choices import RegionLevel
from cityrenew.core.filtersets import FilterSet
from cityrenew.core.models import Region

from .choices import ReportKind, ReportState
from .models import ProgressReport


class ProgressReportFilterSet(FilterSet):
    city = django_filters.ModelChoiceFilter(queryset=Region.objects.filter(level=RegionLevel.CITY), label="城市")
    year = django_filters.NumberFilter(label="年度")
    kind = django_filters.ChoiceFilter(choices=ReportKind.choices, label="报告类型")
    state = django_filters.ChoiceFilter(choices=ReportState.choices, label="状态")

    class Meta:
        model = ProgressReport
        fields = ["city", "year", "kind", "state"]

"""The one filterset of implementation plans: the list page, its xlsx export and the API use it."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from cityrenew.core.choices import OrganisationKind, RegionLevel
from cityrenew.core.filtersets import FilterSet
from cityrenew.core.models import Organisation, Region

from .choices import PlanCategory, PlanState
from .models import ImplementationPlan


class PlanFilterSet(FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="关键词（编号、名称或项目）")
    state = django_filters.ChoiceFilter(choices=PlanState.choices, label="状态")
    district = django_filters.ModelChoiceFilter(queryset=Region.objects.filter(level=RegionLevel.DISTRICT), label="所在区")
    category = django_filters.ChoiceFilter(choices=PlanCategory.choices, label="项目类别")
    entity = django_filters.ModelChoiceFilter(queryset=Organisation.objects.filter(kind=OrganisationKind.ENTITY), label="实施主体")

    class Meta:
        model = ImplementationPlan
        fields = ["q", "state", "district", "category", "entity"]

    def filter_q(self, qs: QuerySet[ImplementationPlan], name: str, value: str) -> QuerySet[ImplementationPlan]:
        value = (value or "").strip()
        if not value:
            return qs
        return qs.filter(Q(code__icontains=value) | Q(title__icontains=value) | Q(project__code__icontains=value)
                         | Q(project__name__icontains=value))

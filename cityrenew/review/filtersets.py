"""Filtersets of the joint review: one per model, serving the pages, the API and the exports alike."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from cityrenew.core.filtersets import FilterSet
from cityrenew.core.models import Region
from cityrenew.workdays import clock

from .choices import Opinion, RoundStatus
from .matrix import packaged_matrix
from .models import ReviewDepartment, ReviewRecord, ReviewRound

ANSWER_CHOICES = [("pending", "待出具"), ("answered", "已出具"), ("overdue", "已逾期")]


def _department_choices() -> list[tuple[str, str]]:
    """The packaged matrix's departments, then any other a city's matrix brought into a round."""
    found = {d.key: d.name for d in packaged_matrix().departments}
    for key, name in ReviewRecord.objects.values_list("department_key", "department_name").distinct():
        found.setdefault(key, name)
    return list(found.items())


def _districts():
    return Region.objects.filter(level="district")


class ReviewRecordFilterSet(FilterSet):
    q = django_filters.CharFilter(method="search", label="方案/事项")
    plan = django_filters.CharFilter(field_name="round__plan__code", label="方案编号")
    state = django_filters.ChoiceFilter(choices=ANSWER_CHOICES, method="by_state", label="办理情况")
    opinion = django_filters.ChoiceFilter(choices=Opinion.choices, label="审查意见")
    round_status = django_filters.ChoiceFilter(field_name="round__status", choices=RoundStatus.choices, label="轮次状态")
    department_key = django_filters.ChoiceFilter(choices=lambda: _department_choices(), label="审查部门")
    district = django_filters.ModelChoiceFilter(field_name="round__plan__district", queryset=_districts(), label="所在区")

    class Meta:
        model = ReviewRecord
        fields = ["q", "plan", "state", "opinion", "round_status", "department_key", "district"]

    def search(self, qs, name, value):
        return qs.filter(Q(round__plan__code__icontains=value) | Q(round__plan__title__icontains=value)
                         | Q(item_title__icontains=value) | Q(department_name__icontains=value))

    def by_state(self, qs, name, value):
        if value == "pending":
            return qs.filter(opinion="")
        if value == "answered":
            return qs.exclude(opinion="")
        if value == "overdue":
            return qs.filter(opinion="", round__status=RoundStatus.OPEN, due_date__lt=clock.today())
        return qs


class ReviewRoundFilterSet(FilterSet):
    plan = django_filters.CharFilter(field_name="plan__code", label="方案编号")
    status = django_filters.ChoiceFilter(choices=RoundStatus.choices, label="状态")
    district = django_filters.ModelChoiceFilter(field_name="plan__district", queryset=_districts(), label="所在区")

    class Meta:
        model = ReviewRound
        fields = ["plan", "status", "district"]


class ReviewDepartmentFilterSet(FilterSet):
    district = django_filters.ModelChoiceFilter(queryset=_districts(), label="所在区")
    key = django_filters.ChoiceFilter(choices=[(d.key, d.name) for d in packaged_matrix().departments], label="矩阵部门")

    class Meta:
        model = ReviewDepartment
        fields = ["district", "key"]

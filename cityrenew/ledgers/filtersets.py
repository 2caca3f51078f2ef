"""One filterset per ledger type: the list pages, the API and the exports use the same one."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from cityrenew.core.choices import RegionLevel
from cityrenew.core.filtersets import FilterSet
from cityrenew.core.models import Region

from .choices import BuildingFunction, DangerGrade, EquipmentCategory, LedgerStatus, Ownership, RenovationMethod
from .models import DangerousHousing, Equipment, OfficeBuilding, OldCommunity


YES_NO = forms.Select(choices=[("", "全部"), ("true", "是"), ("false", "否")])


def yes_no(label: str) -> django_filters.BooleanFilter:
    return django_filters.BooleanFilter(label=label, widget=YES_NO)


class LedgerFilterSet(FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="关键词（编号、名称或地址）")
    region = django_filters.ModelChoiceFilter(
        queryset=Region.objects.filter(level__in=[RegionLevel.CITY, RegionLevel.DISTRICT]), method="filter_region", label="区域")
    status = django_filters.ChoiceFilter(choices=LedgerStatus.choices, label="状态")
    demo = yes_no("演示数据")

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = (value or "").strip()
        return qs.filter(Q(code__icontains=value) | Q(name__icontains=value) | Q(address__icontains=value)) if value else qs

    def filter_region(self, qs: QuerySet, name: str, value: Region | None) -> QuerySet:
        """Rows in ``value`` or any region under it."""
        if not value:
            return qs
        return qs.filter(region_id__in=list(Region.objects.filter(path__startswith=value.path).values_list("pk", flat=True)))


class EquipmentFilterSet(LedgerFilterSet):
    category = django_filters.ChoiceFilter(choices=EquipmentCategory.choices, label="设备类别")
    material = django_filters.CharFilter(label="材质")
    commissioned_before = django_filters.DateFilter(field_name="commissioned", lookup_expr="lte", label="投用日期不晚于")
    hazard = yes_no("安全隐患")

    class Meta:
        model = Equipment
        fields = ["q", "region", "category", "status", "material", "commissioned_before", "hazard", "demo"]


class OldCommunityFilterSet(LedgerFilterSet):
    built_before = django_filters.NumberFilter(field_name="built_year", lookup_expr="lte", label="建成年份不晚于")
    ownership = django_filters.ChoiceFilter(choices=Ownership.choices, label="产权类型")

    class Meta:
        model = OldCommunity
        fields = ["q", "region", "status", "built_before", "ownership", "demo"]


class DangerousHousingFilterSet(LedgerFilterSet):
    grade = django_filters.ChoiceFilter(choices=DangerGrade.choices, label="危险性等级")
    method = django_filters.ChoiceFilter(choices=RenovationMethod.choices, label="改造方式")
    heritage = yes_no("涉及保护对象")

    class Meta:
        model = DangerousHousing
        fields = ["q", "region", "status", "grade", "method", "heritage", "demo"]


class OfficeBuildingFilterSet(LedgerFilterSet):
    function = django_filters.ChoiceFilter(choices=BuildingFunction.choices, label="主要功能")
    built_before = django_filters.NumberFilter(field_name="built_year", lookup_expr="lte", label="建成年份不晚于")

    class Meta:
        model = OfficeBuilding
        fields = ["q", "region", "status", "function", "built_before", "demo"]


FILTERSETS = {"equipment": EquipmentFilterSet, "community": OldCommunityFilterSet,
              "dangerous_housing": DangerousHousingFilterSet, "building": OfficeBuildingFilterSet}

"""Filtersets of lifeline monitoring (设备、监测对象、报警、规则)."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from cityrenew.core.filtersets import FilterSet
from cityrenew.core.models import Region

from .choices import AlarmStatus, AssetKind, DeviceStatus, Sector
from .models import Alarm, AlarmRule, Device, MonitoredAsset


def _districts(request=None):
    return Region.objects.filter(level="district").order_by("code")


class DeviceFilterSet(FilterSet):  # 设备筛选
    sector = django_filters.ChoiceFilter(label="行业", choices=Sector.choices, empty_label="全部行业")
    status = django_filters.ChoiceFilter(label="运维状态", choices=DeviceStatus.choices, empty_label="全部状态")
    district = django_filters.ModelChoiceFilter(label="所在区", queryset=_districts, empty_label="全部区")
    q = django_filters.CharFilter(label="关键词", method="filter_q")

    class Meta:
        model = Device
        fields = ("sector", "status", "district")

    def filter_q(self, qs, name, value):
        value = (value or "").strip()
        return qs.filter(Q(code__icontains=value) | Q(name__icontains=value) | Q(device_type__icontains=value)) if value else qs


class AssetFilterSet(FilterSet):  # 监测对象筛选
    sector = django_filters.ChoiceFilter(label="行业", choices=Sector.choices, empty_label="全部行业")
    kind = django_filters.ChoiceFilter(label="类型", choices=AssetKind.choices, empty_label="全部类型")
    district = django_filters.ModelChoiceFilter(label="所在区", queryset=_districts, empty_label="全部区")

    class Meta:
        model = MonitoredAsset
        fields = ("sector", "kind", "district")


class AlarmFilterSet(FilterSet):  # 报警筛选
    status = django_filters.ChoiceFilter(label="状态", choices=AlarmStatus.choices, empty_label="全部状态")
    level = django_filters.CharFilter(label="等级")
    sector = django_filters.ChoiceFilter(label="行业", field_name="device__sector", choices=Sector.choices, empty_label="全部行业")
    district = django_filters.ModelChoiceFilter(label="所在区", field_name="device__district", queryset=_districts, empty_label="全部区")
    acknowledged = django_filters.BooleanFilter(label="已确认", field_name="acknowledged_by", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Alarm
        fields = ("status", "level", "sector", "district")


class AlarmRuleFilterSet(FilterSet):  # 规则筛选
    sector = django_filters.ChoiceFilter(label="行业", choices=Sector.choices, empty_label="全部行业")
    enabled = django_filters.BooleanFilter(label="启用")

    class Meta:
        model = AlarmRule
        fields = ("sector", "enabled")

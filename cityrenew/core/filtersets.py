"""Filtersets of the core app; one per model, serving pages, API and exports alike."""

import django_filters
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType

from .choices import AuditAction, AuditSource, RegionLevel
from .models import AuditLog, Region


class AuditLogFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="object_repr", lookup_expr="icontains", label="对象")
    user = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.all(), label="操作人")
    action = django_filters.ChoiceFilter(choices=AuditAction.choices, label="动作")
    source = django_filters.ChoiceFilter(choices=AuditSource.choices, label="来源")
    content_type = django_filters.ModelChoiceFilter(
        queryset=ContentType.objects.filter(app_label__in=["core", "projects", "checkup"]), label="对象类型"
    )
    object_id = django_filters.CharFilter(label="对象编号")
    since = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__gte", label="起始日期")
    until = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__lte", label="截止日期")

    class Meta:
        model = AuditLog
        fields = ["q", "user", "action", "source", "content_type", "object_id", "since", "until"]


class RegionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="名称")
    level = django_filters.ChoiceFilter(choices=RegionLevel.choices, label="层级")
    parent = django_filters.ModelChoiceFilter(queryset=Region.objects.all(), label="上级")

    class Meta:
        model = Region
        fields = ["q", "level", "parent"]

"""Filtersets of the core app; one per model, serving pages, API and exports alike."""

import django_filters
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _
from django_filters.conf import settings as filter_settings

from .audit import user_display_name
from .choices import AuditAction, AuditSource, RegionLevel
from .models import AuditLog, Region


class FilterSet(django_filters.FilterSet):
    """Base of every filterset: an unset select reads 全部 (sorting: 默认), never ``---------``;
    descending sort options read ``项目编号（降序）``.

    A label given on the filter itself (``empty_label="全部类型"``) is kept.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.filters.values():  # per-instance copies of the declared filters
            if not isinstance(f, django_filters.ChoiceFilter):
                continue
            f.__dict__.pop("_field", None)  # a form field built earlier (e.g. by the API schema) is rebuilt
            is_ordering = isinstance(f, django_filters.OrderingFilter)
            if f.extra.get("empty_label", filter_settings.EMPTY_CHOICE_LABEL) == filter_settings.EMPTY_CHOICE_LABEL:
                f.extra["empty_label"] = _("默认") if is_ordering else _("全部")
            if is_ordering:  # django-filter has no Chinese for "(descending)"
                ascending = {v: label for v, label in f.extra["choices"] if not v.startswith("-")}
                f.extra["choices"] = [
                    (v, _("%(field)s（降序）") % {"field": ascending[v[1:]]} if v.startswith("-") and v[1:] in ascending else label)
                    for v, label in f.extra["choices"]
                ]


class AuditLogFilterSet(FilterSet):
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # people by name, as the log shows them (the account name in brackets tells namesakes apart)
        self.filters["user"].field.label_from_instance = (
            lambda u: f"{user_display_name(u)}（{u.get_username()}）" if u.get_full_name() else u.get_username()
        )


class RegionFilterSet(FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="名称")
    level = django_filters.ChoiceFilter(choices=RegionLevel.choices, label="层级")
    parent = django_filters.ModelChoiceFilter(queryset=Region.objects.all(), label="上级")

    class Meta:
        model = Region
        fields = ["q", "level", "parent"]

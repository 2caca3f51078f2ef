"""``/api/notices/``: the published notices, read-only and open to everyone like the public site.

The same fields the public page shows: the frozen content and its SHA-256, the period, the status and
the working days left, and (on the detail) the comments with masked names, hidden ones replaced by
“该意见已被隐藏（理由）”. Contacts are never in the API.
"""

from __future__ import annotations

from django_filters import rest_framework as filters
from rest_framework import permissions, viewsets

from ..models import Notice
from .serializers import NoticeDetailSerializer, NoticeSerializer


class NoticeApiFilter(filters.FilterSet):
    district = filters.NumberFilter(field_name="plan__district_id", label="所在区（区划编号id）")
    plan = filters.CharFilter(field_name="plan__code", label="方案编号")

    class Meta:
        model = Notice
        fields = ["district", "plan"]


class NoticeViewSet(viewsets.ReadOnlyModelViewSet):
    """实施方案公示（公开，只读）。"""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []  # public data: no session, no CSRF, no token needed
    queryset = Notice.objects.select_related("plan__district").prefetch_related("comments").order_by("-start_date", "-pk")
    filterset_class = NoticeApiFilter
    search_fields = ["title", "plan__code"]
    ordering_fields = ["start_date", "end_date"]

    def get_serializer_class(self):
        return NoticeDetailSerializer if self.action == "retrieve" else NoticeSerializer

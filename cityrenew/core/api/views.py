from rest_framework import viewsets

from cityrenew.core.filtersets import AuditLogFilterSet, RegionFilterSet
from cityrenew.core.models import AuditLog, Organisation, Region
from cityrenew.core.permissions import visible_audit

from .serializers import AuditLogSerializer, OrganisationSerializer, RegionSerializer


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """行政区划（只读）。"""

    queryset = Region.objects.select_related("group").all()
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """组织（只读）。"""

    queryset = Organisation.objects.all()
    serializer_class = OrganisationSerializer


class AuditLogViewSet(viewsets.ReadOnlyModelViewSet):
    """审计日志：谁在何时改了什么（只读）；只列出本人有权查看的对象的记录。"""

    queryset = AuditLog.objects.select_related("content_type").all()
    serializer_class = AuditLogSerializer
    filterset_class = AuditLogFilterSet

    def get_queryset(self):
        return visible_audit(self.request.user, super().get_queryset())

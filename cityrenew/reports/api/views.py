from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import services
from ..figures import NATIONAL_STATS, statistics
from ..filtersets import ProgressReportFilterSet
from ..views import MAX_YEARS, visible_reports
from .serializers import ProgressReportSerializer


class ProgressReportViewSet(viewsets.ReadOnlyModelViewSet):
    """进度报告（各版本，只读）：生成、报送、退回、接收在页面上进行，经报送流程的权限检查。
    可按城市、年度、报告类型、状态筛选。"""

    serializer_class = ProgressReportSerializer
    filterset_class = ProgressReportFilterSet

    def get_queryset(self) -> QuerySet:
        return visible_reports(self.request.user)


class StatisticsView(APIView):
    """全国城市更新统计（本人可查看的各城市，按年度）：?start=2021&end=2025。没有记录类型的统计项为 null。"""

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter("start", int, description="起始年度（默认：今年往前 4 年）"),
                    OpenApiParameter("end", int, description="截止年度（默认：今年）")],
    )
    def get(self, request):
        cities = services.readable_cities(request.user)
        if not cities:
            raise PermissionDenied("您没有任何城市的查看权限。")
        this_year = timezone.localdate().year
        try:
            start = services.parse_year(request.query_params.get("start") or this_year - 4)
            end = services.parse_year(request.query_params.get("end") or this_year)
        except services.ReportError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        if end < start or end - start + 1 > MAX_YEARS:
            raise ValidationError({"detail": f"年度范围不正确：起始年度不能晚于截止年度，且最多跨 {MAX_YEARS} 年。"})
        return Response({"stats": [{"key": s.key, "label": s.label, "unit": s.unit, "source": s.source} for s in NATIONAL_STATS],
                         "rows": statistics(cities, list(range(start, end + 1)))})

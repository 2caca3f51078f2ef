"""The lifeline REST endpoints beside the SensorThings service: the statistics by sector and district."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import statistics as stats


class LifelineStatisticsView(APIView):
    """城市生命线统计（本人可查看的各区）：?start=2026-11-01&end=2026-11-30（默认最近 30 天），按行业、按区的设备、
    监测对象、报警（分等级）、未关闭、已确认、已升级、已关闭及确认、关闭用时（秒，平均数与中位数）；口径见 definitions。"""

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter("start", OpenApiTypes.DATE, description="起始日期（含，北京时间 0 时起；默认：截止日期往前 29 天）"),
                    OpenApiParameter("end", OpenApiTypes.DATE, description="截止日期（含，至次日 0 时止；默认：今天）")],
    )
    def get(self, request):
        scope = stats.scope_for(request.user)
        if scope.empty:
            raise PermissionDenied("您没有任何区划的查看权限。")
        try:
            per = stats.period(request.query_params.get("start"), request.query_params.get("end"))
        except stats.StatisticsError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        return Response(stats.compute(per, scope))

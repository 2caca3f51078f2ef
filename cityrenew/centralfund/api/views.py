"""``/api/centralfund/``: applications (read; W1 moves by POST), selection rounds with candidates (read),
the province → region table and the cap of a province (read)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from ..caps import UnknownProvince, region_of
from ..models import Application, ProvinceCapRegion, SelectionRound
from ..permissions import can_read_rounds, readable_applications
from ..workflow import TransitionError, transition
from .serializers import ApplicationSerializer, CapRegionSerializer, RoundSerializer, TransitionSerializer


class ApplicationViewSet(viewsets.ReadOnlyModelViewSet):
    """中央财政支持申报（只读）；``POST …/{id}/transition/`` {target, note} 按 W1 流程变更状态。"""

    serializer_class = ApplicationSerializer
    queryset = Application.objects.none()  # the schema's model; requests read get_queryset()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Application.objects.none()
        return readable_applications(self.request.user).prefetch_related("conditions", "flagships", "mechanisms")

    @extend_schema(request=TransitionSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        app = self.get_object()
        data = TransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            transition(app, data.validated_data["target"], user=request.user, note=data.validated_data["note"])
        except TransitionError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(ApplicationSerializer(app).data)


class RoundViewSet(viewsets.ReadOnlyModelViewSet):
    """遴选批次及参评城市得分（只读）。"""

    serializer_class = RoundSerializer
    queryset = SelectionRound.objects.none()

    def get_queryset(self):
        qs = SelectionRound.objects.prefetch_related("candidates")
        return qs if can_read_rounds(self.request.user) else qs.none()


class CapRegionViewSet(viewsets.ReadOnlyModelViewSet):
    """省份补助区域表（只读；在页面 /funding/central/caps/ 由市级管理员修改）。"""

    serializer_class = CapRegionSerializer
    queryset = ProvinceCapRegion.objects.all()
    lookup_field = "province"


class CapView(APIView):
    """某省城市的中央财政补助上限（亿元）及所按区域：``?province=四川省``。"""

    @extend_schema(parameters=[OpenApiParameter("province", str, required=True)], responses=dict)
    def get(self, request):
        try:
            return Response(region_of(request.query_params.get("province", "")).as_dict())
        except UnknownProvince as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)

"""REST API of the joint review (/api/review/…): rounds and records to read, opinions to give (the same
service and refusals as the pages), the districts' department mappings, the matrix in force."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from cityrenew.core.audit import actor
from cityrenew.core.concurrency import RowVersionViewSetMixin
from cityrenew.core.permissions import can_edit_regions

from .. import services
from ..filtersets import (
    ReviewDepartmentFilterSet,
    ReviewRecordFilterSet,
    ReviewRoundFilterSet,
)
from ..models import ReviewDepartment
from .serializers import (
    OpinionSerializer,
    ReviewDepartmentSerializer,
    ReviewRecordSerializer,
    ReviewRoundSerializer,
)


def _refusal(exc: services.ReviewError) -> Response:
    code = status.HTTP_403_FORBIDDEN if isinstance(exc, services.ReviewDenied) else status.HTTP_400_BAD_REQUEST
    return Response({"detail": str(exc)}, status=code)


def _opinion(request, record_or_round, item: str | None = None) -> Response:
    data = OpinionSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    v = data.validated_data
    try:
        with actor(request.user, "api"):
            if item is None:
                record = services.give_opinion(record_or_round, request.user, v["opinion"], conditions=v["conditions"],
                                               reasons=v["reasons"])
            else:
                record = services.opinion_on_item(record_or_round, item, request.user, v["opinion"],
                                                  conditions=v["conditions"], reasons=v["reasons"])
    except services.ReviewError as exc:
        return _refusal(exc)
    return Response(ReviewRecordSerializer(record).data)


class ReviewRecordViewSet(viewsets.ReadOnlyModelViewSet):
    """审查记录：部门用户只见本部门承担的事项，区、市用户按区划；``POST …/opinion/`` 出具意见。"""

    serializer_class = ReviewRecordSerializer
    filterset_class = ReviewRecordFilterSet

    def get_queryset(self):
        return services.visible_records(self.request.user).prefetch_related("attachments").order_by("-round__started_at", "id")

    @extend_schema(request=OpinionSerializer, responses=ReviewRecordSerializer)
    @action(detail=True, methods=["post"])
    def opinion(self, request, pk=None):
        """出具或修改本事项的审查意见（同意 / 有条件同意须写条件 / 不同意须写理由）。"""
        return _opinion(request, self.get_object())


class ReviewRoundViewSet(viewsets.ReadOnlyModelViewSet):
    """联合审查轮次及其全部审查记录；``POST …/opinion/`` 按审查事项编码出具意见。"""

    serializer_class = ReviewRoundSerializer
    filterset_class = ReviewRoundFilterSet

    def get_queryset(self):
        return services.visible_rounds(self.request.user).prefetch_related("records__organisation").order_by("-started_at")

    @extend_schema(request=OpinionSerializer, responses=ReviewRecordSerializer)
    @action(detail=True, methods=["post"])
    def opinion(self, request, pk=None):
        """按审查事项编码（item）出具意见；不在本轮审查矩阵中的事项或部门被拒绝。"""
        rnd = self.get_object()
        item = str(request.data.get("item") or "")
        if not item:
            return Response({"detail": "请指明审查事项编码（item）"}, status=status.HTTP_400_BAD_REQUEST)
        return _opinion(request, rnd, item)


class ReviewDepartmentViewSet(RowVersionViewSetMixin, viewsets.ModelViewSet):
    """各区联审部门：矩阵部门 → 承担审查的组织；市级管理员或本区区级编辑可维护。"""

    queryset = ReviewDepartment.objects.select_related("district", "organisation").order_by("district__code", "key")
    serializer_class = ReviewDepartmentSerializer
    filterset_class = ReviewDepartmentFilterSet

    def _check(self, district_id):
        if not can_edit_regions(self.request.user, [district_id]):
            raise PermissionDenied("无权维护该区的联审部门：超出您的授权区划范围。")

    def perform_create(self, serializer):
        self._check(serializer.validated_data["district"].pk)
        key = serializer.validated_data["key"]
        if services.matrix_for(serializer.validated_data["district"]).department(key) is None:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"key": [f"“{key}”不是本市审查矩阵中的部门"]})
        with transaction.atomic():
            services.assign_open_records(serializer.save())

    def perform_update(self, serializer):
        self._check(serializer.instance.district_id)
        with transaction.atomic():
            services.assign_open_records(serializer.save())

    def perform_destroy(self, instance):
        self._check(instance.district_id)
        instance.delete()


class MatrixView(APIView):
    """现行联合审查矩阵（本市配置或平台内置），每个事项附依据条款。"""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        from cityrenew.ledgertasks.services import city_of

        city = city_of(request.user)
        district = city.children.filter(level="district").first() if city else None
        matrix = services.matrix_for(district or city) if (district or city) else services.packaged_matrix()
        return Response({
            "version": matrix.version, "title": matrix.title, "source": matrix.source,
            "departments": [{"key": d.key, "name": d.name} for d in matrix.departments],
            "items": [{"key": i.key, "department": i.department.key, "title": i.title, "points": list(i.points),
                       "condition": i.condition, "document": i.citation.document, "article": i.citation.article,
                       "clause": i.clause, "quote": i.quote} for i in matrix.items],
        })

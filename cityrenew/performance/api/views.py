"""REST API of the performance app: ``/api/performance/…``, through the same read scope, region scope, field rules
and sealing as the pages (a change to a filed table: 400 with the Chinese reason; outside one's regions: 403)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework import serializers
from rest_framework.views import APIView
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer

from cityrenew.core.concurrency import RowVersionViewSetMixin
from cityrenew.core.permissions import can_edit_regions
from cityrenew.core.models import Region

from .. import services
from ..filtersets import EvaluationFilterSet, ResidentEvaluationFilterSet, TargetTableFilterSet
from ..models import Evaluation, Period, ResidentEvaluation, TargetTable
from ..release import blockers_for
from ..scope import readable
from .serializers import (PerformanceActualSerializer, PerformanceEvaluationSerializer, PerformancePeriodSerializer, PerformanceResidentEvaluationSerializer,
                          PerformanceTargetTableSerializer)


def _as_api_error(exc: DjangoValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return ValidationError({k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()})
    return ValidationError({"detail": "；".join(exc.messages)})


class ScopedViewSet(RowVersionViewSetMixin, viewsets.ModelViewSet):
    scope_field = "city"

    def get_queryset(self):
        return readable(self.request.user, super().get_queryset(), self.scope_field)

    def _check(self, obj: Any) -> None:
        if not can_edit_regions(self.request.user, obj.region_ids()):
            raise PermissionDenied(f"无权修改“{obj}”：超出您的授权区划范围。")

    def _save(self, serializer, instance=None) -> None:
        obj = instance or serializer.Meta.model()
        for k, v in serializer.validated_data.items():
            setattr(obj, k, v)
        self._check(obj)
        try:
            with transaction.atomic():
                obj.full_clean()
                serializer.instance = serializer.save()
        except DjangoValidationError as exc:
            raise _as_api_error(exc) from exc

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._check(serializer.instance)
        self._save(serializer, type(serializer.instance).objects.get(pk=serializer.instance.pk))

    def perform_destroy(self, instance):
        self._check(instance)
        try:
            instance.delete()
        except DjangoValidationError as exc:
            raise _as_api_error(exc) from exc


class TargetTableViewSet(ScopedViewSet):
    """绩效目标表（三年行动总体 / 年度）：含绩效目标 → 指标 → 年度值（基线、目标、实际）。已盖章备案的表不能修改或删除。"""

    queryset = TargetTable.objects.select_related("city", "project").prefetch_related(
        "results__indicators__periods__evidence").order_by("city__code", "kind", "-year")
    serializer_class = PerformanceTargetTableSerializer
    filterset_class = TargetTableFilterSet


class PeriodViewSet(RowVersionViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """指标年度值；``POST …/{id}/actual/`` 填报实际值（仅已盖章备案的目标表，市级管理员）。"""

    queryset = Period.objects.select_related("indicator__result__table").prefetch_related("evidence").order_by("pk")
    serializer_class = PerformancePeriodSerializer

    def get_queryset(self):
        tables = readable(self.request.user, TargetTable.objects.all(), "city")
        return super().get_queryset().filter(indicator__result__table__in=tables)

    @action(detail=True, methods=["post"], serializer_class=PerformanceActualSerializer)
    def actual(self, request, pk=None):
        period = self.get_object()
        if not can_edit_regions(request.user, period.region_ids()):
            raise PermissionDenied(f"无权填报“{period}”的实际值：超出您的授权区划范围。")
        data = PerformanceActualSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.record_actual(period, data.validated_data["actual"], data.validated_data["actual_note"], request.user)
        except DjangoValidationError as exc:
            raise _as_api_error(exc) from exc
        return Response(PerformancePeriodSerializer(period).data)


class EvaluationViewSet(ScopedViewSet):
    """年度绩效评价（财办建〔2025〕11号 五、；每市每年一条；得分、等级照录评价方，0–100）。"""

    queryset = Evaluation.objects.select_related("city").prefetch_related("files").order_by("city__code", "-year")
    serializer_class = PerformanceEvaluationSerializer
    filterset_class = EvaluationFilterSet


class ResidentEvaluationViewSet(ScopedViewSet):
    """城镇老旧小区改造效果共评（国办发〔2020〕23号 一、（二））：参评、满意、基本满意、不满意户数和居民意见。"""

    queryset = ResidentEvaluation.objects.select_related("region").prefetch_related("files").order_by("-held_on", "pk")
    serializer_class = PerformanceResidentEvaluationSerializer
    filterset_class = ResidentEvaluationFilterSet
    scope_field = "region"


class ReleaseCheckView(APIView):
    """``GET /api/performance/release-check/?city=<id>&year=<year>``：该市该年度中央补助资金拨付前绩效记录尚缺什么。"""

    @extend_schema(
        parameters=[OpenApiParameter("city", int, required=True, description="城市（市级区划 id）"),
                    OpenApiParameter("year", int, required=True, description="资金年度")],
        responses=inline_serializer("PerformanceReleaseCheck", {
            "city": serializers.CharField(), "year": serializers.IntegerField(),
            "may_release": serializers.BooleanField(), "blockers": serializers.ListField(child=serializers.CharField())}))
    def get(self, request):
        city_id, year = request.query_params.get("city", ""), request.query_params.get("year", "")
        if not (city_id.isdigit() and year.isdigit()):
            raise ValidationError({"detail": "请给出 city（城市区划 id）和 year（年度）"})
        city = Region.objects.filter(pk=int(city_id), level="city").first()
        if city is None:
            raise ValidationError({"city": f"没有 id 为 {city_id} 的市级区划"})
        if not readable(request.user, Region.objects.filter(pk=city.pk), "").exists():
            raise PermissionDenied("无权查看该城市的绩效记录：超出您的授权区划范围。")
        blockers = blockers_for(city.pk, int(year))
        return Response({"city": city.name, "year": int(year), "may_release": not blockers, "blockers": blockers})

"""REST API of project funding (/api/funding/); the same permissions and rules as the pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoDenied
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from cityrenew.core.concurrency import RowVersionViewSetMixin

from .. import permissions, services
from ..filtersets import FundingLineFilterSet, TrancheFilterSet
from ..models import FundingLine, Tranche
from .serializers import (
    DecisionSerializer,
    DoubleFundingSerializer,
    FundingLineSerializer,
    TrancheSerializer,
)


def _scoped(user, qs):
    scope = permissions.readable_projects(user)
    return qs if scope is None else qs.filter(project__in=scope)


class FundingLineViewSet(RowVersionViewSetMixin, viewsets.ModelViewSet):
    """资金计划（项目 × 渠道 × 年度，万元）：读取范围同项目库；修改限可编辑该项目的用户；金额不能为负数。"""

    serializer_class = FundingLineSerializer
    filterset_class = FundingLineFilterSet
    ordering_fields = ["year", "channel", "planned"]

    def get_queryset(self):
        return _scoped(self.request.user, FundingLine.objects.select_related("project"))

    def _check(self, project):
        if not permissions.can_plan(self.request.user, project):
            raise PermissionDenied(f"无权修改项目 {project.code} 的资金计划：超出您的编辑范围。")

    def perform_create(self, serializer):
        self._check(serializer.validated_data["project"])
        d = serializer.validated_data
        if FundingLine.objects.filter(project=d["project"], channel=d["channel"], year=d["year"]).exists():
            raise ValidationError({"channel": f"项目 {d['project'].code} 已有 {d['year']} 年该渠道的资金计划，请修改该条"})
        with transaction.atomic():
            serializer.save()

    def perform_update(self, serializer):
        self._check(serializer.instance.project)
        with transaction.atomic():
            serializer.save()

    def perform_destroy(self, instance):
        self._check(instance.project)
        if instance.project.tranches.filter(channel=instance.channel, year=instance.year).exclude(state="rejected").exists():
            raise PermissionDenied("该资金计划已有拨付申请，不能删除；可修改金额。")
        instance.delete()


class TrancheViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """资金拨付申请：申请（不超过计划余额、不能为负数）→ 区级审核 → 财政审核 → 拨付；POST …/decide/ 提交审核意见。"""

    serializer_class = TrancheSerializer
    filterset_class = TrancheFilterSet

    def get_queryset(self):
        return _scoped(self.request.user, Tranche.objects.select_related("project", "requested_by")
                       .prefetch_related("reviews__user", "attachments"))

    def create(self, request, *args, **kwargs):
        ser = self.get_serializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        try:
            t = services.request_tranche(request.user, d["project"], channel=d["channel"], year=d["year"],
                                         amount_value=d["amount"], purpose=d.get("purpose", ""))
        except services.FundingError as exc:
            raise ValidationError({exc.field or "detail": exc.message}) from None
        except DjangoDenied as exc:
            raise PermissionDenied(str(exc)) from None
        return Response(self.get_serializer(t).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecisionSerializer, responses=TrancheSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """区级审核 / 财政审核 / 登记拨付：``{"decision": "approve"|"reject", "comment": "…"}``。"""
        tranche = self.get_object()
        ser = DecisionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        try:
            services.decide(request.user, tranche, approve=ser.validated_data["decision"] == "approve",
                            comment=ser.validated_data["comment"])
        except services.FundingError as exc:
            raise ValidationError({exc.field or "detail": exc.message}) from None
        except DjangoDenied as exc:
            raise PermissionDenied(str(exc)) from None
        tranche.refresh_from_db()
        return Response(self.get_serializer(tranche).data)


class DoubleFundingView(APIView):
    """同时安排中央财政城市更新补助资金和其他渠道中央资金的项目（财办建〔2025〕11号 四、（二））。"""

    @extend_schema(responses=DoubleFundingSerializer(many=True))
    def get(self, request):
        flags = services.double_funded(permissions.readable_projects(request.user))
        rows = [{"project": f.project, "channels": list(f.channels), "message": f.message, "citation": str(f.citation)} for f in flags]
        return Response(DoubleFundingSerializer(rows, many=True).data)

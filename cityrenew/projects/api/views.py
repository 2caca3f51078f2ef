"""REST API of the project library; the same region permissions as the pages."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from cityrenew.core.concurrency import RowVersionViewSetMixin
from cityrenew.core.permissions import is_city_admin

from ..filtersets import ProjectFilterSet
from ..models import AdjustmentBatch, ProjectChange, ProjectFunding, RenewalProject
from ..permissions import can_create_in, can_edit_project, denial_message
from ..summary import compute_summary
from .serializers import (
    BatchSerializer,
    FundingSerializer,
    ProjectChangeSerializer,
    ProjectSerializer,
    SummarySerializer,
)


class ProjectViewSet(RowVersionViewSetMixin, viewsets.ModelViewSet):
    """城市更新项目：列表可按关键词、区域、片区分组、类型、状态、投资区间、批次筛选。

    修改和删除仅限项目所在全部区域都在本人编辑范围内的用户。读取单个项目时返回 ETag（即 row_version）；
    修改、删除时带 If-Match（不一致返回 412）或请求体中的 row_version（不一致返回 409），防止覆盖他人的修改。
    """

    queryset = RenewalProject.objects.select_related("region_group", "batch").prefetch_related("districts")
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilterSet
    ordering_fields = ["code", "name", "total_investment", "seq"]
    search_fields = ["code", "name"]
    lookup_value_regex = r"[^/]+"

    def get_object(self):
        # accept the numeric id or the project code (K202201001)
        value = self.kwargs[self.lookup_field]
        obj = self.get_queryset().filter(Q(code=value) | (Q(pk=value) if str(value).isdigit() else Q(pk__in=[]))).first()
        if obj is None:
            raise NotFound("项目不存在")
        self.check_object_permissions(self.request, obj)
        return obj

    def perform_create(self, serializer):
        districts = serializer.validated_data.get("districts") or []
        if not can_create_in(self.request.user, districts):
            raise PermissionDenied(denial_message())
        with transaction.atomic():
            serializer.save()

    def perform_update(self, serializer):
        project = serializer.instance
        if not can_edit_project(self.request.user, project):
            raise PermissionDenied(denial_message(project))
        districts = serializer.validated_data.get("districts")
        if districts is not None and not can_create_in(self.request.user, districts):
            raise PermissionDenied(f"无权把项目 {project.code} 移到所选区域：超出您的编辑范围。")
        with transaction.atomic():
            serializer.save()

    def perform_destroy(self, instance):
        if not can_edit_project(self.request.user, instance):
            raise PermissionDenied(denial_message(instance))
        instance.delete()  # audited with the project's last values; fundings and batch records cascade


class BatchViewSet(RowVersionViewSetMixin, viewsets.ModelViewSet):
    """项目库调整批次（新增入库/调整/调出）；仅市级管理员可新建或修改。"""

    queryset = AdjustmentBatch.objects.select_related("city").all()
    serializer_class = BatchSerializer
    filterset_fields = ["batch_type", "city"]

    def _check(self):
        if not is_city_admin(self.request.user):
            raise PermissionDenied("只有市级管理员可以新建、修改或删除调整批次。")

    def perform_create(self, serializer):
        self._check()
        serializer.save()

    def perform_update(self, serializer):
        self._check()
        serializer.save()

    def perform_destroy(self, instance):
        self._check()
        if instance.added_projects.exists() or instance.removed_projects.exists():
            raise PermissionDenied(f"批次 {instance.doc_number} 已有关联项目，不能删除。")
        instance.delete()


class ProjectChangeViewSet(viewsets.ReadOnlyModelViewSet):
    """每个调整批次对项目的变更记录（只读）。"""

    queryset = ProjectChange.objects.select_related("project").all()
    serializer_class = ProjectChangeSerializer
    filterset_fields = ["batch", "project", "action"]


class FundingViewSet(RowVersionViewSetMixin, viewsets.ModelViewSet):
    """项目资金来源；修改权限随项目。"""

    queryset = ProjectFunding.objects.select_related("project").all()
    serializer_class = FundingSerializer
    filterset_fields = ["project", "source"]

    def _check(self, project):
        if not can_edit_project(self.request.user, project):
            raise PermissionDenied(denial_message(project))

    def perform_create(self, serializer):
        self._check(serializer.validated_data["project"])
        serializer.save()

    def perform_update(self, serializer):
        self._check(serializer.instance.project)
        if "project" in serializer.validated_data:
            self._check(serializer.validated_data["project"])
        serializer.save()

    def perform_destroy(self, instance):
        self._check(instance.project)
        instance.delete()


class SummaryView(APIView):
    """项目库汇总：片区分组 → 区域，含小计与合计（两位小数，四舍五入）；跨区项目不计入各区小计。"""

    @extend_schema(
        responses=SummarySerializer,
        parameters=[OpenApiParameter("as_of", str, description="调整批次 id 或文号：该批次之后的项目库状态")],
    )
    def get(self, request):
        as_of = None
        value = request.query_params.get("as_of")
        if value:
            as_of = AdjustmentBatch.objects.filter(
                Q(doc_number=value) | (Q(pk=value) if value.isdigit() else Q(pk__in=[]))
            ).first()
            if as_of is None:
                raise NotFound(f"未找到调整批次“{value}”")
        params = request.query_params.copy()
        params.pop("as_of", None)
        fs = ProjectFilterSet(params, queryset=RenewalProject.objects.all(), request=request)
        projects = fs.qs if fs.is_valid() else RenewalProject.objects.none()
        return Response(compute_summary(projects, as_of=as_of))

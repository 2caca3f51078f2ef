"""REST API of implementation plans: ``/api/plans/`` (read, create, edit while allowed) and
``/api/plans/<code>/transition/`` (a state change, by the same rules as the page's buttons)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from cityrenew.core.concurrency import RowVersionViewSetMixin
from cityrenew.core.models import StaleObjectError

from .. import services, workflow
from ..choices import PlanState as S
from ..filtersets import PlanFilterSet
from ..models import ImplementationPlan
from ..permissions import (
    can_create,
    can_create_in,
    can_edit,
    edit_denial,
    readable_plans,
)
from .serializers import PlanSerializer, TransitionRequestSerializer


class PlanViewSet(RowVersionViewSetMixin, viewsets.ModelViewSet):
    """城市更新实施方案：可按关键词、状态、所在区、类别、实施主体筛选；按编号或 id 读取。

    实施主体填报员只能读取和新建本单位的方案，并只在编制中、意见征询中、退回修改时修改；状态只能经
    ``transition`` 变更（与页面按钮同一规则，拒绝时返回中文原因，不作任何修改）。方案不能删除，只能撤回。
    """

    serializer_class = PlanSerializer
    filterset_class = PlanFilterSet
    ordering_fields = ["code", "title", "state", "opinion_date"]
    search_fields = ["code", "title"]
    lookup_value_regex = r"[^/]+"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        qs = ImplementationPlan.objects.select_related("project").prefetch_related("transitions__user", "versions")
        return readable_plans(self.request.user, qs)

    def get_object(self):
        value = self.kwargs[self.lookup_field]
        obj = self.get_queryset().filter(Q(code=value) | (Q(pk=value) if str(value).isdigit() else Q(pk__in=[]))).first()
        if obj is None:
            raise NotFound("实施方案不存在")
        self.check_object_permissions(self.request, obj)
        return obj

    def perform_create(self, serializer):
        user = self.request.user
        district = serializer.validated_data.get("district")
        if not can_create(user) or (district is not None and not can_create_in(user, district.pk)):
            raise PermissionDenied("无权新建实施方案：需要实施主体填报员、区级编辑或市级管理员角色，且所在区在您的授权范围内。")
        with transaction.atomic():
            serializer.save(created_by=user)

    def perform_update(self, serializer):
        if not can_edit(self.request.user, serializer.instance):
            raise PermissionDenied(edit_denial(serializer.instance))
        with transaction.atomic():
            serializer.save()

    def retrieve(self, request, *args, **kwargs):
        """One plan, with ``moves``: the moves the user's role may make now, each with ``blocked`` (why
        it would be refused now, "" when it would go through) and its citation."""
        response = super().retrieve(request, *args, **kwargs)
        plan = self.get_object()
        response.data["moves"] = [
            {"target": m.target, "label": m.label, "citation": str(m.citation),
             "blocked": workflow.refusal(plan, m.target, user=request.user)}
            for m in workflow.moves_for(plan, request.user)
        ]
        return response

    @extend_schema(request=TransitionRequestSerializer, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """状态流转：``target`` 为目标状态；退回修改（revision）须给出 ``items``（修改补充事项）。"""
        plan = self.get_object()
        data = TransitionRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target, note, items = data.validated_data["target"], data.validated_data["note"], data.validated_data["items"]
        move = workflow.TRANSITIONS.get((plan.state, target))
        if move is not None and not move.actors & workflow.actors_of(plan, request.user):
            raise PermissionDenied(f"您无权对实施方案{plan.code}执行“{move.label}”（依据{move.citation}）")
        try:
            with transaction.atomic():
                if target == S.REVISION and plan.state in (S.PRE_REVIEW, S.JOINT_REVIEW):
                    services.request_revision(plan, items, user=request.user, note=note)
                else:
                    workflow.transition(plan, target, user=request.user, note=note)
        except (workflow.TransitionError, services.PlanError) as exc:
            raise ValidationError({"detail": str(exc)})
        except StaleObjectError:
            return Response({"detail": f"实施方案{plan.code}刚被他人修改（如已流转），本次操作没有执行；请读取最新状态后重试。"},
                            status=status.HTTP_409_CONFLICT)
        plan.refresh_from_db()
        return Response(PlanSerializer(self.get_queryset().get(pk=plan.pk), context={"request": request}).data,
                        status=status.HTTP_200_OK)

"""Check-up API: indicator sets and indicators (read), units (read), runs, tasks, values, evaluations
and problems. Writes go through :mod:`cityrenew.checkup.services`, so the API applies the same
permission rules and checks as the pages (a department writes only its own indicators)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from cityrenew.core.concurrency import ETagMixin, StaleObjectError

from .. import services as svc
from ..models import AssessmentUnit, CheckupRun, DepartmentTask, Evaluation, FieldProblem, Indicator, IndicatorSet, IndicatorValue
from .serializers import (
    AssessmentUnitSerializer,
    CheckupRunSerializer,
    DepartmentTaskSerializer,
    EvaluationSerializer,
    FieldProblemSerializer,
    IndicatorSerializer,
    IndicatorSetSerializer,
    IndicatorValueSerializer,
)


class IndicatorSetViewSet(viewsets.ReadOnlyModelViewSet):
    """指标体系（只读）。"""

    queryset = IndicatorSet.objects.all()
    serializer_class = IndicatorSetSerializer
    filterset_fields = ["code", "year", "kind", "city"]

    @action(detail=True, methods=["get"])
    def diff(self, request, pk=None):
        """与另一指标体系的差异：?other=MOHURD-2024"""
        from ..catalogue import diff_sets

        new = self.get_object()
        old = get_object_or_404(IndicatorSet, code=request.query_params.get("other", ""))
        return Response(diff_sets(old, new).as_dict())


class IndicatorViewSet(viewsets.ReadOnlyModelViewSet):
    """体检指标（只读）；?indicator_set__code=MOHURD-2025&dimension=housing"""

    queryset = Indicator.objects.select_related("indicator_set").order_by("indicator_set", "number")
    serializer_class = IndicatorSerializer
    filterset_fields = ["indicator_set__code", "dimension", "department", "method", "retired"]
    search_fields = ["name", "group"]


class AssessmentUnitViewSet(ETagMixin, viewsets.ReadOnlyModelViewSet):
    """体检单元（只读）。"""

    queryset = AssessmentUnit.objects.all()
    serializer_class = AssessmentUnitSerializer
    filterset_fields = ["city", "kind", "region", "parent", "code"]
    search_fields = ["name", "code"]


class CheckupRunViewSet(ETagMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """城市体检：列表、详情；市级管理员可发起（POST city/year/indicator_set）和评价。"""

    queryset = CheckupRun.objects.select_related("city", "indicator_set")
    serializer_class = CheckupRunSerializer
    filterset_fields = ["city", "year", "status"]

    def create(self, request, *args, **kwargs):
        ser = self.get_serializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        if not svc.can_manage_city(request.user, d["city"]):
            raise PermissionDenied(f"只有{d['city'].display_name}的市级管理员可以发起城市体检")
        try:
            run = svc.create_run(d["city"], d["year"], d["indicator_set"], request.user)
        except svc.CheckupError as exc:
            raise ValidationError({"detail": str(exc)})
        return Response(self.get_serializer(run).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def evaluate(self, request, pk=None):
        run = self.get_object()
        if not svc.can_manage_city(request.user, run.city):
            raise PermissionDenied("只有市级管理员可以评价城市体检")
        evals = svc.evaluate_run(run, request.user)
        return Response(EvaluationSerializer(evals, many=True).data)

    @action(detail=True, methods=["get"])
    def completeness(self, request, pk=None):
        c = svc.completeness(self.get_object())
        for d in c["departments"]:
            d["task"] = d["task"].pk
        return Response(c)


class DepartmentTaskViewSet(ETagMixin, viewsets.ReadOnlyModelViewSet):
    """部门填报任务：部门用户只看到本部门的任务。"""

    serializer_class = DepartmentTaskSerializer
    filterset_fields = ["run", "status", "department"]

    def get_queryset(self):
        ids = [t.pk for run in CheckupRun.objects.all() for t in svc.visible_tasks(self.request.user, run)]
        return DepartmentTask.objects.filter(pk__in=ids).select_related("organisation").prefetch_related("indicators")


class IndicatorValueViewSet(ETagMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """指标值：部门用户只看到、只能填报本部门的指标（POST run/indicator/unit/value 新增或更新）。

    更新已有数值时可带 If-Match（412）或 row_version（409），防止覆盖他人的修改。
    """

    serializer_class = IndicatorValueSerializer
    filterset_fields = ["run", "indicator", "unit", "source"]

    def get_queryset(self):
        qs = IndicatorValue.objects.select_related("indicator", "unit", "run__city")
        user = self.request.user
        allowed = []
        for run in CheckupRun.objects.select_related("city"):
            allowed += list(svc.visible_indicators(user, run).values_list("pk", flat=True))
        return qs.filter(indicator_id__in=allowed)

    def create(self, request, *args, **kwargs):
        ser = self.get_serializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        run, ind = d["run"], d["indicator"]
        task = run.tasks.filter(indicators=ind).first()
        if task is None:
            raise ValidationError({"indicator": f"{ind.label}不在本次体检中"})
        if not svc.can_fill_task(request.user, task):
            raise PermissionDenied(f"{ind.label}由“{task.organisation}”负责填报，您不能填报")
        # updating an existing value: If-Match (412) or the body's row_version (409) must be current
        existing = IndicatorValue.objects.filter(run=run, indicator=ind, unit=d.get("unit")).first()
        expected, code, error = self._expected_version(request)
        if error is not None:
            return error
        if existing is not None and expected is not None and expected != existing.row_version:
            return self._stale(existing, expected, code)
        try:
            v = svc.set_value(task, ind, d.get("unit"), request.data.get("value"), request.user, d.get("note", ""),
                              expected_version=expected if existing is not None else None)
        except svc.CheckupError as exc:
            raise ValidationError({"value": str(exc)})
        except StaleObjectError as exc:  # another writer saved between our read and the conditional UPDATE
            return self._stale(exc.obj, exc.expected, code)
        return Response(self.get_serializer(v).data, status=status.HTTP_201_CREATED)


class EvaluationViewSet(viewsets.ReadOnlyModelViewSet):
    """指标评价结果（只读）。"""

    queryset = Evaluation.objects.select_related("indicator")
    serializer_class = EvaluationSerializer
    filterset_fields = ["run", "verdict", "trend"]


class FieldProblemViewSet(ETagMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """现场问题：调查员、区级编辑（本区）和市级管理员可记录。"""

    queryset = FieldProblem.objects.select_related("indicator", "unit", "project")
    serializer_class = FieldProblemSerializer
    filterset_fields = ["run", "indicator", "unit", "severity", "status"]

    def create(self, request, *args, **kwargs):
        ser = self.get_serializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        try:
            p = svc.record_problem(
                d["run"], d["indicator"], d["unit"], request.user, sub_problem=d.get("sub_problem_code") or None,
                severity=d.get("severity"), description=d.get("description", ""), lon=d.get("lon"), lat=d.get("lat"),
                suggestion=d.get("suggestion", ""),
            )
        except svc.CheckupError as exc:
            if "权限" in str(exc):
                raise PermissionDenied(str(exc))
            raise ValidationError({"detail": str(exc)})
        return Response(self.get_serializer(p).data, status=status.HTTP_201_CREATED)

"""Serializers of the performance API: tables with their results → indicators → periods, evaluations, 效果共评."""

from __future__ import annotations

from rest_framework import serializers

from cityrenew.core.api.serializers import ChoiceLabelField
from cityrenew.core.fieldrules import FieldRulesSerializerMixin

from ..models import Evaluation, Evidence, Indicator, Period, ResidentEvaluation, Result, TargetTable


class PerformanceEvidenceSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="下载地址")

    class Meta:
        model = Evidence
        fields = ["id", "description", "url", "uploaded_at"]

    def get_url(self, obj: Evidence) -> str:
        return "/media/" + obj.file.name


class PerformancePeriodSerializer(serializers.ModelSerializer):
    achieved = serializers.BooleanField(read_only=True, allow_null=True, help_text="实际值是否达到目标（按指标方向）")
    evidence = PerformanceEvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = Period
        fields = ["id", "row_version", "year", "baseline", "target", "actual", "actual_note", "actual_at", "achieved",
                  "evidence"]
        read_only_fields = fields


class PerformanceIndicatorSerializer(serializers.ModelSerializer):
    direction_display = ChoiceLabelField(source="direction")
    periods = PerformancePeriodSerializer(many=True, read_only=True)

    class Meta:
        model = Indicator
        fields = ["id", "name", "unit", "direction", "direction_display", "order", "note", "periods"]
        read_only_fields = fields


class PerformanceResultSerializer(serializers.ModelSerializer):
    indicators = PerformanceIndicatorSerializer(many=True, read_only=True)

    class Meta:
        model = Result
        fields = ["id", "title", "description", "order", "indicators"]
        read_only_fields = fields


class PerformanceTargetTableSerializer(FieldRulesSerializerMixin, serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)
    kind_display = ChoiceLabelField(source="kind")
    state_display = ChoiceLabelField(source="state")
    years = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    results = PerformanceResultSerializer(many=True, read_only=True)

    class Meta:
        model = TargetTable
        fields = ["id", "row_version", "name", "city", "project", "kind", "kind_display", "year", "years", "title", "note",
                  "state", "state_display", "filed_at", "results"]
        read_only_fields = ["id", "row_version", "state", "filed_at"]


class PerformanceActualSerializer(serializers.Serializer):
    actual = serializers.DecimalField(max_digits=18, decimal_places=4, min_value=0,
                                      error_messages={"min_value": "实际值不能为负数"})
    actual_note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PerformanceEvaluationSerializer(FieldRulesSerializerMixin, serializers.ModelSerializer):
    files = PerformanceEvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = Evaluation
        fields = ["id", "row_version", "city", "year", "evaluator", "score", "grade", "conclusion", "evaluated_on", "files"]
        read_only_fields = ["id", "row_version"]


class PerformanceResidentEvaluationSerializer(FieldRulesSerializerMixin, serializers.ModelSerializer):
    satisfaction_rate = serializers.DecimalField(max_digits=5, decimal_places=1, read_only=True, allow_null=True,
                                                 help_text="（满意＋基本满意）÷ 参评居民 × 100（%）")
    files = PerformanceEvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = ResidentEvaluation
        fields = ["id", "row_version", "region", "community", "project", "year", "held_on", "respondents", "satisfied",
                  "basically_satisfied", "dissatisfied", "satisfaction_rate", "comments", "response", "files"]
        read_only_fields = ["id", "row_version"]

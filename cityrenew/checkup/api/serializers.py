from rest_framework import serializers

from cityrenew.core.fieldrules import FieldRulesSerializerMixin
from cityrenew.core.api.serializers import ChoiceLabelField

from ..models import AssessmentUnit, CheckupRun, DepartmentTask, Evaluation, FieldProblem, Indicator, IndicatorSet, IndicatorValue


class IndicatorSetSerializer(serializers.ModelSerializer):
    kind_display = ChoiceLabelField(source="kind")
    indicators = serializers.SerializerMethodField()

    class Meta:
        model = IndicatorSet
        fields = ["id", "code", "name", "year", "kind", "kind_display", "city", "copied_from", "source_document",
                  "source_article", "description", "indicators"]

    def get_indicators(self, obj) -> int:
        return obj.indicators.filter(retired=False).count()


class IndicatorSerializer(serializers.ModelSerializer):
    set = serializers.CharField(source="indicator_set.code", read_only=True)
    dimension_display = ChoiceLabelField(source="dimension")
    department_display = ChoiceLabelField(source="department")
    source = serializers.CharField(read_only=True)

    class Meta:
        model = Indicator
        fields = ["id", "set", "number", "code", "dimension", "dimension_display", "group", "name", "unit", "direction",
                  "method", "method_text", "computation", "report_level", "standard", "threshold", "comparator",
                  "min_value", "max_value", "department", "department_display", "evidence", "source", "retired"]


class AssessmentUnitSerializer(FieldRulesSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = AssessmentUnit
        fields = ["id", "code", "name", "kind", "city", "region", "parent", "centroid_lon", "centroid_lat", "geometry", "attributes",
                  "row_version"]


class DepartmentTaskSerializer(FieldRulesSerializerMixin, serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    indicators = serializers.SlugRelatedField(many=True, read_only=True, slug_field="number")

    class Meta:
        model = DepartmentTask
        fields = ["id", "run", "organisation", "organisation_name", "department", "indicators", "status",
                  "submitted_at", "reviewed_at", "return_reason", "row_version"]


class CheckupRunSerializer(FieldRulesSerializerMixin, serializers.ModelSerializer):
    city_name = serializers.CharField(source="city.display_name", read_only=True)
    set = serializers.CharField(source="indicator_set.code", read_only=True)

    class Meta:
        model = CheckupRun
        fields = ["id", "city", "city_name", "year", "indicator_set", "set", "status", "created_at", "evaluated_at",
                  "row_version"]
        read_only_fields = ["status", "created_at", "evaluated_at", "row_version"]


class IndicatorValueSerializer(FieldRulesSerializerMixin, serializers.ModelSerializer):
    number = serializers.IntegerField(source="indicator.number", read_only=True)
    name = serializers.CharField(source="indicator.name", read_only=True)
    unit_code = serializers.CharField(source="unit.code", read_only=True, default=None)

    class Meta:
        model = IndicatorValue
        fields = ["id", "run", "indicator", "number", "name", "unit", "unit_code", "task", "value", "note", "source",
                  "entered_by", "updated_at", "row_version"]
        read_only_fields = ["task", "source", "entered_by", "updated_at", "row_version"]
        validators = []  # uniqueness is handled by set_value (update in place)


class EvaluationSerializer(serializers.ModelSerializer):
    number = serializers.IntegerField(source="indicator.number", read_only=True)
    name = serializers.CharField(source="indicator.name", read_only=True)

    class Meta:
        model = Evaluation
        fields = ["id", "run", "indicator", "number", "name", "value", "standard", "verdict", "previous_value", "trend", "warning"]


class FieldProblemSerializer(FieldRulesSerializerMixin, serializers.ModelSerializer):
    sub_problem_code = serializers.CharField(required=False, allow_blank=True, write_only=True)
    indicator_number = serializers.IntegerField(source="indicator.number", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    project_code = serializers.CharField(source="project.code", read_only=True, default=None)

    class Meta:
        model = FieldProblem
        fields = ["id", "run", "indicator", "indicator_number", "sub_problem", "sub_problem_code", "unit", "unit_name",
                  "severity", "description", "lon", "lat", "location", "suggestion", "status", "project",
                  "project_code", "remediation_task", "recorded_by", "recorded_at", "row_version"]
        read_only_fields = ["location", "status", "project", "remediation_task", "recorded_by", "recorded_at", "sub_problem",
                            "row_version"]

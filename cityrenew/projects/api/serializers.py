from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from rest_framework import serializers

from cityrenew.core.audit import user_display_name
from cityrenew.core.fieldrules import FieldRulesSerializerMixin
from cityrenew.core.api.serializers import ChoiceLabelField
from cityrenew.core.models import Region, RegionGroup

from ..models import AdjustmentBatch, ProjectChange, ProjectFunding, RenewalProject, validate_project_code
from ..permissions import can_edit_project


class ProjectSerializer(FieldRulesSerializerMixin, serializers.ModelSerializer):
    districts = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Region.objects.all(), label="所在区域", help_text="区划 id；跨区项目填多个"
    )
    district_names = serializers.SerializerMethodField(help_text="所在区域名称（按官方顺序）")
    region_group = serializers.PrimaryKeyRelatedField(
        queryset=RegionGroup.objects.all(), required=False, allow_null=True, label="片区分组",
        help_text="省略时按区域所属分组自动确定",
    )
    region_group_name = serializers.CharField(source="region_group.name", read_only=True, default="")
    city = serializers.PrimaryKeyRelatedField(read_only=True)
    total_investment = serializers.DecimalField(max_digits=18, decimal_places=6, min_value=Decimal("0"), label="项目总投资（亿元）")
    category_display = ChoiceLabelField(source="category")
    status_display = ChoiceLabelField(source="status")
    batch_doc_number = serializers.CharField(source="batch.doc_number", read_only=True, default="")
    can_edit = serializers.SerializerMethodField(help_text="当前用户能否修改")

    class Meta:
        model = RenewalProject
        fields = [
            "id", "code", "name", "city", "districts", "district_names", "region_group", "region_group_name",
            "total_investment", "category", "category_display", "status", "status_display", "implementing_entity",
            "start_year", "end_year", "location", "location_source", "batch", "batch_doc_number", "removed_batch", "seq", "description",
            "can_edit", "created_at", "updated_at", "row_version",
        ]
        read_only_fields = ["removed_batch", "created_at", "updated_at", "row_version"]

    def get_district_names(self, obj: RenewalProject) -> list[str]:
        return [r.display_name for r in sorted(obj.districts.all(), key=lambda r: (r.order, r.code))]

    def get_can_edit(self, obj: RenewalProject) -> bool:
        request = self.context.get("request")
        return bool(request) and can_edit_project(request.user, obj)

    def validate_code(self, value: str) -> str:
        validate_project_code(value)
        return value

    def validate_districts(self, value: list[Region]) -> list[Region]:
        if not value:
            raise serializers.ValidationError("至少选择一个所在区域")
        return value

    def validate(self, attrs):
        attrs = super().validate(attrs)  # field-level write rules (cityrenew.core.fieldrules)
        start = attrs.get("start_year", getattr(self.instance, "start_year", None))
        end = attrs.get("end_year", getattr(self.instance, "end_year", None))
        if start and end and end < start:
            raise serializers.ValidationError({"end_year": "完工年份不能早于开工年份"})
        if "location" in attrs and "location_source" not in attrs:
            # a location drawn on the one map or sent through the API says who placed it, and when
            request = self.context.get("request")
            who = user_display_name(request.user) if request else "接口"
            attrs["location_source"] = f"{who}于 {timezone.localdate():%Y-%m-%d} 在地图上标绘或经接口写入" if attrs["location"] else ""
        districts = attrs.get("districts")
        if districts:
            cities = {d.city() if d.level != "city" else d for d in districts}
            if len(cities) != 1 or None in cities:
                raise serializers.ValidationError({"districts": "所选区域须属于同一个城市"})
            attrs["city"] = cities.pop()
            if not attrs.get("region_group"):
                attrs["region_group"] = next((d.group for d in districts if d.group_id), None)
        return attrs


class BatchSerializer(FieldRulesSerializerMixin, serializers.ModelSerializer):
    batch_type_display = ChoiceLabelField(source="batch_type")
    added_count = serializers.SerializerMethodField()

    class Meta:
        model = AdjustmentBatch
        fields = ["id", "city", "doc_number", "title", "batch_type", "batch_type_display", "date", "url", "note", "added_count", "created_at", "row_version"]
        read_only_fields = ["created_at", "row_version"]

    def get_added_count(self, obj: AdjustmentBatch) -> int:
        return obj.added_projects.count()


class FundingSerializer(FieldRulesSerializerMixin, serializers.ModelSerializer):
    source_display = ChoiceLabelField(source="source")
    amount = serializers.DecimalField(max_digits=18, decimal_places=6, min_value=Decimal("0"), label="金额（亿元）")

    class Meta:
        model = ProjectFunding
        fields = ["id", "project", "source", "source_display", "amount", "note", "row_version"]
        read_only_fields = ["row_version"]


class ProjectChangeSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="project.code", read_only=True)

    class Meta:
        model = ProjectChange
        fields = ["id", "batch", "project", "code", "action", "changes", "created_at"]


class SummaryDistrictSerializer(serializers.Serializer):
    name = serializers.CharField()
    total = serializers.CharField()
    count = serializers.IntegerField()


class SummaryGroupSerializer(serializers.Serializer):
    name = serializers.CharField()
    total = serializers.CharField()
    count = serializers.IntegerField()
    districts = SummaryDistrictSerializer(many=True)


class SummaryMultiSerializer(serializers.Serializer):
    code = serializers.CharField()
    districts = serializers.ListField(child=serializers.CharField())
    total = serializers.CharField()


class SummarySerializer(serializers.Serializer):
    total = serializers.CharField(help_text="合计（亿元，两位小数，四舍五入）")
    count = serializers.IntegerField()
    groups = SummaryGroupSerializer(many=True)
    multi_district = SummaryMultiSerializer(many=True)

"""Serializers of the plans API: the plan (field rules apply to every write), its transitions and versions."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from cityrenew.core.fieldrules import FieldRulesSerializerMixin

from ..choices import PlanState
from ..models import ImplementationPlan, PlanTransition, PlanVersion
from ..permissions import CONTENT_STATES, is_authority
from ..workflow import TRANSITIONS

CONTENT = {"title", "coordinator", "category", "summary", "other_rights"}
LAND = {"land_first_done", "land_all_done"}


class PlanTransitionSerializer(serializers.ModelSerializer):
    user = serializers.SerializerMethodField()
    citation = serializers.SerializerMethodField()

    class Meta:
        model = PlanTransition
        fields = ["from_state", "to_state", "user", "note", "at", "citation"]

    def get_user(self, obj: PlanTransition) -> str:
        return obj.user.get_username() if obj.user else "系统"

    def get_citation(self, obj: PlanTransition) -> str:
        move = TRANSITIONS.get((obj.from_state, obj.to_state))
        return str(move.citation) if move else ""


class PlanVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanVersion
        fields = ["number", "change_note", "uploaded_at"]


class PlanSerializer(FieldRulesSerializerMixin, serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    project_code = serializers.CharField(source="project.code", read_only=True)
    transitions = PlanTransitionSerializer(many=True, read_only=True)
    versions = PlanVersionSerializer(many=True, read_only=True)

    class Meta:
        model = ImplementationPlan
        fields = ["id", "code", "title", "project", "project_code", "district", "entity", "coordinator", "category",
                  "category_display", "state", "state_display", "summary", "other_rights", "expert_review_required",
                  "opinion_date", "land_first_done", "land_all_done", "created_at", "updated_at", "row_version",
                  "transitions", "versions"]
        read_only_fields = ["state", "opinion_date", "created_at", "updated_at", "row_version"]
        extra_kwargs = {"code": {"error_messages": {"required": "请填写方案编号"}},
                        "title": {"error_messages": {"required": "请填写方案名称"}}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        plan = self.instance
        user = self.context["request"].user
        if plan is None:
            project, district = attrs.get("project"), attrs.get("district")
            if project is not None and district is not None and not project.districts.filter(pk=district.pk).exists():
                raise serializers.ValidationError({"district": f"所在区必须是项目{project.code}的所在区域之一"})
            return attrs
        changed = {k for k, v in attrs.items() if getattr(plan, k) != v}
        if changed & CONTENT and plan.state not in CONTENT_STATES and not is_authority(user, plan):
            raise serializers.ValidationError(f"实施方案{plan.code}当前状态为“{plan.get_state_display()}”，退回修改前不能修改方案内容")
        if changed & LAND and plan.state not in {PlanState.PERMITS, PlanState.LAND, PlanState.IMPLEMENTATION}:
            raise serializers.ValidationError("用地手续办结日期在公示期满后填写（第十八条）")
        return attrs


class TransitionRequestSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=PlanState.choices, error_messages={"invalid_choice": "未知的目标状态“{input}”"})
    note = serializers.CharField(required=False, allow_blank=True, default="")
    items = serializers.ListField(child=serializers.CharField(), required=False, default=list,
                                  help_text="退回修改（revision）时的修改补充事项，每项一条")

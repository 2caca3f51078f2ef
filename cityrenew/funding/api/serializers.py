"""Serializers of the funding API (amounts in 万元, Decimal as strings)."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from cityrenew.core.api.serializers import ChoiceLabelField
from cityrenew.core.fieldrules import FieldRulesSerializerMixin
from cityrenew.projects.models import RenewalProject

from ..models import FundingLine, Tranche, TrancheAttachment, TrancheReview


def _amount(label: str) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=6, label=label,
                                    error_messages={"invalid": f"「{label}」必须是数字", "max_digits": f"「{label}」位数过多",
                                                    "max_decimal_places": f"「{label}」最多 6 位小数"})


def _not_negative(label: str, value: Decimal) -> Decimal:
    if value is not None and value < 0:
        raise serializers.ValidationError(f"「{label}」不能为负数（填写的是 {value} 万元）")
    return value


class FundingLineSerializer(FieldRulesSerializerMixin, serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="code", queryset=RenewalProject.objects.all(), label="项目编号",
                                           error_messages={"does_not_exist": "项目库中没有编号为“{value}”的项目"})
    channel_display = ChoiceLabelField(source="channel")
    planned = _amount("计划金额（万元）")
    received = _amount("到位金额（万元）")
    spent = _amount("支出金额（万元）")

    class Meta:
        model = FundingLine
        fields = ["id", "project", "channel", "channel_display", "year", "planned", "received", "spent", "note", "row_version"]
        read_only_fields = ["row_version"]

    def validate_planned(self, v: Decimal) -> Decimal:
        from ..services import FundingError, check_planned_covers_drawn

        v = _not_negative("计划金额（万元）", v)
        line = self.instance
        if line is not None and v is not None:
            try:
                check_planned_covers_drawn(line.project, line.channel, line.year, v)
            except FundingError as exc:
                raise serializers.ValidationError(exc.message) from None
        return v

    def validate_received(self, v: Decimal) -> Decimal:
        return _not_negative("到位金额（万元）", v)

    def validate_spent(self, v: Decimal) -> Decimal:
        return _not_negative("支出金额（万元）", v)


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.FileField(source="file", read_only=True, use_url=True)

    class Meta:
        model = TrancheAttachment
        fields = ["id", "url", "description", "uploaded_at"]


class ReviewSerializer(serializers.ModelSerializer):
    stage_display = ChoiceLabelField(source="stage")
    decision_display = ChoiceLabelField(source="decision")
    user = serializers.CharField(source="user.username", read_only=True, default="")

    class Meta:
        model = TrancheReview
        fields = ["id", "stage", "stage_display", "decision", "decision_display", "comment", "user", "at"]


class TrancheSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="code", queryset=RenewalProject.objects.all(), label="项目编号",
                                           error_messages={"does_not_exist": "项目库中没有编号为“{value}”的项目"})
    channel_display = ChoiceLabelField(source="channel")
    state_display = ChoiceLabelField(source="state")
    amount = _amount("申请金额（万元）")
    requested_by = serializers.CharField(source="requested_by.username", read_only=True, default="")
    reviews = ReviewSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Tranche
        fields = ["id", "project", "channel", "channel_display", "year", "amount", "purpose", "state", "state_display",
                  "requested_by", "requested_at", "reviews", "attachments", "row_version"]
        read_only_fields = ["state", "requested_at", "row_version"]


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("approve", "同意"), ("reject", "退回")], label="审核意见",
                                       error_messages={"invalid_choice": "审核意见只能是 approve（同意）或 reject（退回）"})
    comment = serializers.CharField(required=False, allow_blank=True, default="", label="意见说明")


class DoubleFundingSerializer(serializers.Serializer):
    project = serializers.CharField(source="project.code")
    name = serializers.CharField(source="project.name")
    channels = serializers.ListField(child=serializers.CharField())
    message = serializers.CharField()
    citation = serializers.CharField()

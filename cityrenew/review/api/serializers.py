"""Serializers of the joint-review API (read: rounds, records, attachments; write: department mappings)."""

from __future__ import annotations

from rest_framework import serializers

from cityrenew.core.fieldrules import FieldRulesSerializerMixin

from ..choices import Opinion
from ..models import OpinionAttachment, ReviewDepartment, ReviewRecord, ReviewRound


class ReviewAttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = OpinionAttachment
        fields = ["id", "description", "url", "uploaded_at"]

    def get_url(self, obj) -> str:
        return obj.file.url


class ReviewRecordSerializer(serializers.ModelSerializer):
    plan = serializers.CharField(source="round.plan.code", read_only=True)
    round_number = serializers.IntegerField(source="round.number", read_only=True)
    organisation = serializers.CharField(source="organisation.name", default=None, read_only=True)
    opinion_display = serializers.CharField(source="get_opinion_display", read_only=True)
    basis = serializers.SerializerMethodField()
    overdue = serializers.BooleanField(read_only=True)
    attachments = ReviewAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = ReviewRecord
        fields = ["id", "plan", "round", "round_number", "item_key", "item_title", "points", "department_key",
                  "department_name", "organisation", "condition", "basis", "due_date", "overdue", "opinion",
                  "opinion_display", "conditions", "reasons", "answered_at", "attachments", "row_version"]
        read_only_fields = fields

    def get_basis(self, obj) -> str:
        return f"《{obj.citation.doc.title}》{obj.where}：{obj.quote}"


class ReviewRoundSerializer(serializers.ModelSerializer):
    plan = serializers.CharField(source="plan.code", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    records = ReviewRecordSerializer(many=True, read_only=True)
    opinion_url = serializers.SerializerMethodField()

    class Meta:
        model = ReviewRound
        fields = ["id", "plan", "number", "status", "status_display", "matrix_version", "matrix_source", "started_at",
                  "closed_at", "opinion_sha256", "opinion_url", "records"]
        read_only_fields = fields

    def get_opinion_url(self, obj) -> str | None:
        from django.urls import reverse

        return reverse("review:round_opinion", args=[obj.pk]) if obj.opinion_file else None


class OpinionSerializer(serializers.Serializer):  # 出具审查意见
    item = serializers.CharField(required=False, help_text="审查事项编码（按轮次出具时必填）")
    opinion = serializers.ChoiceField(choices=Opinion.choices, help_text="agree 同意 / conditional 有条件同意 / disagree 不同意")
    conditions = serializers.CharField(required=False, allow_blank=True, default="")
    reasons = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewDepartmentSerializer(FieldRulesSerializerMixin, serializers.ModelSerializer):
    department_name = serializers.CharField(read_only=True)

    class Meta:
        model = ReviewDepartment
        fields = ["id", "district", "key", "department_name", "organisation", "row_version"]
        read_only_fields = ["row_version"]

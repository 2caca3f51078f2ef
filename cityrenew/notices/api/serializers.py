"""Serializers of the notices API: what the public site shows, nothing more (no contact, masked names)."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Comment, Notice
from ..services import today, workdays_left


class PublicCommentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="public_name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    body = serializers.SerializerMethodField()
    parent = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "parent", "kind", "kind_display", "name", "body", "status", "created_at"]

    def get_body(self, obj: Comment) -> str:
        return f"该意见已被隐藏（{obj.moderation_reason}）" if obj.hidden else obj.body


class NoticeSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()
    workdays_left = serializers.SerializerMethodField()
    plan_code = serializers.CharField(source="plan.code", read_only=True)
    district = serializers.CharField(source="plan.district.name", read_only=True)
    public_url = serializers.CharField(source="get_public_url", read_only=True)

    class Meta:
        model = Notice
        fields = ["id", "title", "plan_code", "district", "start_date", "days", "end_date", "status", "workdays_left",
                  "published_at", "content_sha256", "content", "public_url"]

    def get_status(self, obj: Notice) -> str:
        return obj.status_on(today())

    def get_workdays_left(self, obj: Notice) -> int:
        return workdays_left(obj, today())


class NoticeDetailSerializer(NoticeSerializer):
    comments = PublicCommentSerializer(many=True, read_only=True)

    class Meta(NoticeSerializer.Meta):
        fields = [*NoticeSerializer.Meta.fields, "comments"]

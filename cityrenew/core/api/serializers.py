from rest_framework import serializers

from cityrenew.core.fieldrules import FieldRulesSerializerMixin
from cityrenew.core.models import AuditLog, Organisation, Region


class RegionSerializer(FieldRulesSerializerMixin, serializers.ModelSerializer):
    group = serializers.StringRelatedField()

    class Meta:
        model = Region
        fields = ["id", "code", "name", "short_name", "level", "kind", "parent", "group", "path"]


class OrganisationSerializer(FieldRulesSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "short_name", "kind", "region"]


class AuditLogSerializer(serializers.ModelSerializer):
    content_type = serializers.SerializerMethodField()

    class Meta:
        model = AuditLog
        fields = ["id", "timestamp", "user", "user_name", "source", "action", "content_type", "object_id", "object_repr", "changes", "note"]

    def get_content_type(self, obj: AuditLog) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model}"

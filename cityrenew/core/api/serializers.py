from rest_framework import serializers

from cityrenew.core.fieldrules import FieldRulesSerializerMixin
from cityrenew.core.models import AuditLog, Organisation, Region


class ChoiceLabelField(serializers.CharField):
    """The label of a choice field (``source`` names the model field): what ``get_FOO_display`` returns.

    ``CharField(source="get_FOO_display")`` asks :func:`inspect.signature` of that partial method on every
    row (DRF's ``is_simple_callable``): a third of the time of a 50-row project list. This reads the
    label from the field's choices instead.
    """

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        model_field = parent.Meta.model._meta.get_field(self.source_attrs[-1])
        self.labels = {value: str(label) for value, label in model_field.flatchoices}

    def to_representation(self, value):
        return self.labels.get(value, value)


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

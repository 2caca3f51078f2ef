from rest_framework import serializers

from ..models import ProgressReport


class ProgressReportSerializer(serializers.ModelSerializer):
    city_name = serializers.CharField(source="city.display_name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = ProgressReport
        fields = ["id", "city", "city_name", "year", "kind", "kind_display", "version", "title", "state", "state_display",
                  "progress", "problems", "practices", "figures", "generated_at", "submitted_at", "reviewed_at",
                  "review_comment", "row_version"]
        read_only_fields = fields

from rest_framework import serializers

from ..models import Application, Candidate, EligibilityCondition, FlagshipItem, MechanismItem, ProvinceCapRegion, SelectionRound


class ConditionSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="get_condition_display", read_only=True)

    class Meta:
        model = EligibilityCondition
        fields = ["condition", "label", "met", "note"]


class FlagshipSerializer(serializers.ModelSerializer):
    class Meta:
        model = FlagshipItem
        fields = ["id", "kind", "category", "name", "description", "investment", "projects"]


class MechanismSerializer(serializers.ModelSerializer):
    class Meta:
        model = MechanismItem
        fields = ["id", "category", "name", "description"]


class ApplicationSerializer(serializers.ModelSerializer):
    city_name = serializers.CharField(source="city.name", read_only=True)
    province = serializers.CharField(source="province_name", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    package_bytes = serializers.IntegerField(read_only=True)
    conditions = ConditionSerializer(many=True, read_only=True)
    flagships = FlagshipSerializer(many=True, read_only=True)
    mechanisms = MechanismSerializer(many=True, read_only=True)

    class Meta:
        model = Application
        fields = ["id", "city", "city_name", "province", "year", "state", "state_label", "size_class", "key_basin",
                  "old_city_scope", "objectives", "requested_subsidy", "reason", "package_bytes", "conditions",
                  "flagships", "mechanisms", "row_version"]
        read_only_fields = fields


class CandidateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Candidate
        fields = ["id", "city", "province", "application", "written_score", "defence_score", "combined_score", "rank",
                  "status", "reason"]
        read_only_fields = fields


class RoundSerializer(serializers.ModelSerializer):
    shortlist_size = serializers.IntegerField(read_only=True)
    candidates = CandidateSerializer(many=True, read_only=True)

    class Meta:
        model = SelectionRound
        fields = ["id", "year", "places", "shortlist_size", "written_weight", "stage", "publicity_end", "candidates"]
        read_only_fields = fields


class CapRegionSerializer(serializers.ModelSerializer):
    cap_yi = serializers.DecimalField(max_digits=4, decimal_places=0, read_only=True)

    class Meta:
        model = ProvinceCapRegion
        fields = ["province", "region", "cap_yi", "basis"]
        read_only_fields = fields


class TransitionSerializer(serializers.Serializer):
    target = serializers.CharField()
    note = serializers.CharField(required=False, allow_blank=True, default="")

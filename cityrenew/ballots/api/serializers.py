from rest_framework import serializers

from ..models import Vote


class VoteSerializer(serializers.ModelSerializer):
    plan = serializers.CharField(source="plan.code", read_only=True)
    status = serializers.CharField(source="status_label", read_only=True)
    turnout = serializers.SerializerMethodField(help_text="已表决的人数和专有部分数（截止前只公开进度，不公开表决意见）")
    result = serializers.SerializerMethodField(help_text="截止后的计票结果（consent.tally 的字段）；截止前为 null")

    class Meta:
        model = Vote
        fields = ["id", "plan", "title", "matter", "building", "unit", "opens_at", "closes_at", "status", "turnout",
                  "result", "ballots_sha256", "tallied_at"]

    def get_turnout(self, vote: Vote) -> dict:
        from ..services import turnout

        return turnout(vote)

    def get_result(self, vote: Vote) -> dict | None:
        from ..services import VoteError, finalize

        if not vote.is_closed():
            return None
        try:
            return finalize(vote).result
        except VoteError:
            return None

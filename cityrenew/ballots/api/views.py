from rest_framework import viewsets

from cityrenew.core import permissions
from cityrenew.core.choices import Role

from ..models import Vote
from .serializers import VoteSerializer


class VoteViewSet(viewsets.ReadOnlyModelViewSet):
    """业主表决（只读）：所在区有角色的用户和实施方案的实施主体可见；截止前只有投票进度，截止后有计票结果。"""

    serializer_class = VoteSerializer
    filterset_fields = ["plan", "matter"]

    def get_queryset(self):
        from django.db.models import Q

        qs = Vote.objects.select_related("plan").order_by("-opens_at", "-id")
        user = self.request.user
        ids = permissions.region_ids_for(user, list(Role.values))
        if ids is None or permissions.is_city_admin(user):
            return qs
        orgs = {r.organisation_id for r in permissions.roles_of(user) if r.role == Role.ENTITY_EDITOR}
        return qs.filter(Q(plan__district_id__in=ids) | Q(plan__entity_id__in=orgs) | Q(plan__coordinator_id__in=orgs))

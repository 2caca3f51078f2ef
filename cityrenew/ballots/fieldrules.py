"""Who may write which field of a vote (registered with core.fieldrules).

The plan's 实施主体 (实施主体填报员) organises the vote; the district's authority (区级编辑) and 市级管理员 may
too. Whether the user is an actor on *this* plan is checked by the views (``workflow.actors_of``). The
tally fields are written only by ``services.finalize``; ballots only through ``services``.
"""

from cityrenew.core.choices import Role
from cityrenew.core.fieldrules import register, register_audit_scope

from .models import Ballot, OwnerUnit, Vote

FIELDS = ("plan", "title", "matter", "building", "unit", "description", "opens_at", "closes_at")
ORGANISERS = (Role.ENTITY_EDITOR, Role.DISTRICT_EDITOR, Role.CITY_ADMIN)

register(
    Vote,
    create={role: FIELDS for role in ORGANISERS},
    update={role: FIELDS[1:] for role in ORGANISERS},
    reasons={"plan": "表决创建后不能改属其他实施方案"},
)


def _votes_readable(user):
    """The votes whose history ``user`` may read: those of plans in their districts or of their entity."""
    from django.db.models import Q

    from cityrenew.core.permissions import is_city_admin, region_ids_for, roles_of

    if is_city_admin(user):
        return None
    ids = region_ids_for(user, list(Role.values))
    if ids is None:
        return None
    orgs = {r.organisation_id for r in roles_of(user) if r.role == Role.ENTITY_EDITOR}
    return Vote.objects.filter(Q(plan__district_id__in=ids) | Q(plan__entity_id__in=orgs) | Q(plan__coordinator_id__in=orgs))


def _scoped(model):
    def readable(user):
        votes = _votes_readable(user)
        return None if votes is None else model.objects.filter(vote__in=votes)
    return readable


register_audit_scope(Vote, _votes_readable)
register_audit_scope(OwnerUnit, _scoped(OwnerUnit))
register_audit_scope(Ballot, _scoped(Ballot))

"""Who may write which field of a vote (registered with core.fieldrules).

The plan's 实施主体 (实施主体填报员) organises the vote; the district's authority (区级编辑) and 市级管理员 may
too. Whether the user is an actor on *this* plan is checked by the views (``workflow.actors_of``). The
tally fields are written only by ``services.finalize``; ballots only through ``services``.
"""

from cityrenew.core.choices import Role
from cityrenew.core.fieldrules import register

from .models import Vote

FIELDS = ("plan", "title", "matter", "building", "unit", "description", "opens_at", "closes_at")
ORGANISERS = (Role.ENTITY_EDITOR, Role.DISTRICT_EDITOR, Role.CITY_ADMIN)

register(
    Vote,
    create={role: FIELDS for role in ORGANISERS},
    update={role: FIELDS[1:] for role in ORGANISERS},
    reasons={"plan": "表决创建后不能改属其他实施方案"},
)

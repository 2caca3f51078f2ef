"""Demo: two owners' votes on a plan in owner consultation (意见征询中).

* an open vote on 改建 (major matter) of a 24-unit building with one buyer of two units and three unsold units
  of the developer; the codes of three owners are printed, so the public page /public/vote/ can be tried;
* a closed 加装电梯 vote of one stairwell unit (河南 annex A1 序号2), tallied, with its certificate.

Uses a plan of the plans demo when there is one (state 意见征询中, else any), otherwise creates one on a
中原区 project of the library. Idempotent: does nothing when the demo votes exist.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from cityrenew.core import audit
from cityrenew.core.choices import OrganisationKind
from cityrenew.core.models import Organisation, Region

from . import services
from .models import OwnerUnit, Vote

OPEN_TITLE = "3号楼综合改造（外立面改建、屋面防水）"
ELEVATOR_TITLE = "5号楼2单元加装电梯"


def _plan():
    from cityrenew.plans.choices import PlanState
    from cityrenew.plans.models import ImplementationPlan
    from cityrenew.projects.models import RenewalProject

    plan = (ImplementationPlan.objects.filter(state=PlanState.CONSULTATION).order_by("code").first()
            or ImplementationPlan.objects.order_by("code").first())
    if plan is not None:
        return plan
    district = Region.objects.filter(code="410102").first()
    project = RenewalProject.objects.filter(districts=district).order_by("code").first() if district else None
    if project is None:
        return None
    entity, _ = Organisation.objects.get_or_create(
        name="中原区城市更新实施有限公司", defaults={"short_name": "中原更新公司", "kind": OrganisationKind.ENTITY, "region": district})
    return ImplementationPlan.objects.create(code="SSFA-DEMO-001", title=f"{project.name}实施方案", project=project,
                                             district=district, entity=entity, state=PlanState.CONSULTATION,
                                             summary="演示数据：老旧小区综合改造实施方案")


def _units(vote: Vote, building: str, units: list[str], floors: int, per_floor: int, buyers: dict[str, str],
           unsold: set[str]) -> None:
    for u in units:
        for f in range(1, floors + 1):
            for k in range(1, per_floor + 1):
                room = f"{f}{k:02d}"
                key = f"{u}-{room}"
                OwnerUnit.objects.create(vote=vote, building=building, unit=u, room=room,
                                         owner="建设单位" if key in unsold else buyers.get(key, f"业主{building}{u}{room}"),
                                         area=Decimal("68.50") + Decimal(k * 6) + Decimal(f) / 4, developer_unsold=key in unsold)


def load(stdout=None) -> dict[str, int]:
    if Vote.objects.filter(title__in=[OPEN_TITLE, ELEVATOR_TITLE]).exists():
        return {}
    plan = _plan()
    if plan is None:
        return {}
    now = timezone.now()
    with audit.actor(None, "system", "演示数据"):
        open_vote = Vote.objects.create(
            plan=plan, title=OPEN_TITLE, matter="major", opens_at=now - dt.timedelta(days=1),
            closes_at=now + dt.timedelta(days=14),
            description="外立面改建和屋面防水属改建建筑物（民法典第二百七十八条第一款第七项），须经参与表决面积和人数四分之三以上同意。")
        _units(open_vote, "3", ["1", "2"], 6, 2, {"1-101": "张建国", "1-102": "张建国"}, {"2-601", "2-602", "2-501"})
        codes = services.issue_codes(open_vote)
        elevator = Vote.objects.create(plan=plan, title=ELEVATOR_TITLE, matter="elevator", building="5", unit="2",
                                       opens_at=now - dt.timedelta(days=20), closes_at=now + dt.timedelta(days=1))
        _units(elevator, "5", ["2"], 6, 2, {}, set())
        for n, (unit, code) in enumerate(services.issue_codes(elevator)):
            if n < 10:  # 10 of 12 owners vote: 9 agree, 1 against
                services.cast(elevator, code, "反对" if n == 4 else "同意")
        elevator.closes_at = now - dt.timedelta(hours=1)
        elevator.save()
        services.finalize(elevator)
    if stdout is not None:
        sample = "，".join(f"{u.label}（{u.person}）{c}" for u, c in codes[:3])
        stdout.write(f"演示业主表决：/public/vote/{open_vote.pk}/ 表决码示例：{sample}；"
                     f"已截止的加装电梯表决 /plans/votes/{elevator.pk}/（{'通过' if elevator.result['passed'] else '未通过'}）\n")
    return {"votes": 2}

"""Demo data of the joint review: the matrix departments of 中原区 and 二七区 mapped to organisations, two
department reviewers, and a round under way for every demo plan in 联合审查中 (a plan of our own when the
plans demo has none). Idempotent: running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from cityrenew.core import audit
from cityrenew.core.choices import OrganisationKind, Role
from cityrenew.core.models import Organisation, Region, RoleAssignment

from .choices import Opinion
from .matrix import packaged_matrix
from .models import ReviewDepartment

DISTRICTS = ("410102", "410103")  # 中原区, 二七区
# (username, password, full name, role, district code, matrix department)
DEMO_REVIEWERS = [
    ("guihua", "cityrenew-guihua", "中原区规划审查员", Role.DEPT_REVIEWER, "410102", "planning"),
    ("fagai", "cityrenew-fagai", "中原区发改审查员", Role.DEPT_REVIEWER, "410102", "development_reform"),
]
DEMO_PLAN = "SS-ZY-DEMO-LS"


def _organisation(district: Region, name: str) -> Organisation:
    if name.startswith("市级"):  # 市级相关部门: one organisation of the city for every district
        city = district.city()
        org_name, district = f"{city.display_name}{name[2:]}", city
    elif name.startswith("区"):
        org_name = name.replace("区", district.display_name, 1)
    else:
        org_name = f"{district.display_name}{name}"
    org, _ = Organisation.objects.get_or_create(name=org_name, defaults={"kind": OrganisationKind.DEPARTMENT, "region": district})
    return org


def _own_plan(district: Region, admin):
    """A plan of our own, brought to 联合审查中 by the authority (the earlier states are the entity's)."""
    from cityrenew.plans.choices import PlanState
    from cityrenew.plans.models import ImplementationPlan
    from cityrenew.plans.workflow import transition
    from cityrenew.projects.models import RenewalProject

    plan = ImplementationPlan.objects.filter(code=DEMO_PLAN).first()
    if plan is not None:
        return plan
    project = RenewalProject.objects.filter(districts=district).order_by("code").first()
    if project is None:
        return None
    entity, _ = Organisation.objects.get_or_create(name="郑州市中原区城市更新投资有限公司",
                                                   defaults={"kind": OrganisationKind.ENTITY, "region": district})
    plan = ImplementationPlan.objects.create(
        code=DEMO_PLAN, title=f"{project.name}实施方案（联审演示）", project=project, district=district, entity=entity,
        state=PlanState.PRE_REVIEW, summary="老旧小区综合整治：加装电梯、管网改造、增设养老托育设施。")
    transition(plan, PlanState.JOINT_REVIEW, user=admin, note="演示：提交联合审查")
    return plan


def map_departments(district: Region) -> None:
    """Map every department of the packaged matrix to an organisation of ``district`` (idempotent)."""
    from . import services

    for dept in packaged_matrix().departments:
        if not ReviewDepartment.objects.filter(district=district, key=dept.key).exists():
            mapping = ReviewDepartment.objects.create(district=district, key=dept.key,
                                                      organisation=_organisation(district, dept.name))
            services.assign_open_records(mapping)


def _reviewer(record) -> Any:
    """A reviewer of the record's organisation: a demo login where there is one, else a user without password."""
    user = get_user_model().objects.filter(role_assignments__organisation=record.organisation,
                                           role_assignments__role=Role.DEPT_REVIEWER).first()
    if user is None:
        user, created = get_user_model().objects.get_or_create(
            username=f"review-{record.organisation.pk}", defaults={"first_name": f"{record.organisation.name}审查员（演示）"})
        if created:
            user.set_unusable_password()
            user.save()
        RoleAssignment.objects.get_or_create(user=user, role=Role.DEPT_REVIEWER, region=record.round.plan.district,
                                             organisation=record.organisation)
    return user


def agree_open_round(plan) -> None:
    """Every department of the plan's open round agrees: used by the plans demo for the plans it approves."""
    from . import services

    map_departments(plan.district)
    rnd = services.open_round(plan) or services.start_round(plan)
    for record in rnd.records.filter(opinion="").select_related("organisation", "round__plan"):
        services.give_opinion(record, _reviewer(record), Opinion.AGREE)


def load(stdout=None) -> dict[str, int]:
    from cityrenew.plans.choices import PlanState
    from cityrenew.plans.models import ImplementationPlan

    from . import services

    if not Region.objects.filter(code__in=DISTRICTS).exists():
        return {}
    User = get_user_model()
    logins = []
    with audit.actor(None, "system", "演示数据"):
        for code in DISTRICTS:
            map_departments(Region.objects.get(code=code))
        for username, password, full_name, role, code, key in DEMO_REVIEWERS:
            district = Region.objects.get(code=code)
            user, created = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
            if created:
                user.set_password(password)
                user.save()
            org = ReviewDepartment.objects.get(district=district, key=key).organisation
            RoleAssignment.objects.get_or_create(user=user, role=role, region=district, organisation=org)
            logins.append((username, password, f"{full_name}（{Role(role).label}，{org.name}）"))
        admin = User.objects.filter(username="admin").first()
        zy = Region.objects.get(code=DISTRICTS[0])
        if admin is not None and not ImplementationPlan.objects.filter(state=PlanState.JOINT_REVIEW).exists():
            _own_plan(zy, admin)
        rounds = 0
        for plan in ImplementationPlan.objects.filter(state=PlanState.JOINT_REVIEW):
            rnd = services.open_round(plan) or services.start_round(plan)
            rounds += 1
            if plan.code == DEMO_PLAN and not rnd.records.exclude(opinion="").exists():
                fagai = User.objects.get(username="fagai")
                services.give_opinion(rnd.records.get(item_key="feasibility"), fagai, Opinion.CONDITIONAL,
                                      conditions="区级配套资金落实前不得开工")
    if stdout is not None:
        stdout.write(f"演示联合审查：{rounds} 轮审查中（/plans/review/）。联审部门演示账号（用户名 / 密码）：\n")
        for username, password, label in logins:
            stdout.write(f"  {username} / {password}    {label}\n")
    return {"rounds": rounds}

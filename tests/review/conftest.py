"""Fixtures of the joint-review tests: a plan of 中原区 brought to 联合审查中 through the real workflow, the
district's departments mapped to organisations, and their reviewers."""

from __future__ import annotations

from decimal import Decimal

import pytest


def make_department_user(make_user, username: str, organisation, region, role: str = "dept_reviewer"):
    from cityrenew.core.models import RoleAssignment

    user = make_user(username, None, None, first_name=username)
    RoleAssignment.objects.create(user=user, role=role, region=region, organisation=organisation)
    return user


# Due dates count working days from a pinned day inside the calendar's coverage (chinese-calendar knows the
# years up to 2026; counted from the real date a period may reach a year it does not know).
TODAY = "2026-06-01"


@pytest.fixture(autouse=True)
def pinned_today(settings, tmp_path):
    settings.CITYRENEW_TODAY = TODAY
    settings.MEDIA_ROOT = tmp_path / "media"
    return TODAY


def docx(name: str, text: str):
    """A real Word document for the plan's materials and versions."""
    import io

    from django.core.files.base import ContentFile
    from docx import Document

    doc = Document()
    doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    return ContentFile(buf.getvalue(), name=name)


def prepare_submission(plan, user) -> None:
    """The materials of 第六条 the plans guard requires before 已报送: the plan text, the application, the licence."""
    from cityrenew.plans import services
    from cityrenew.plans.choices import MaterialKind

    services.add_version(plan, docx("方案.docx", plan.title), user=user, change_note="初稿")
    services.add_material(plan, MaterialKind.APPLICATION, docx("申请书.docx", "实施方案联合审查申请书"), user=user)
    services.add_material(plan, MaterialKind.LICENCE, docx("证照.docx", "营业执照"), user=user)


def revise(plan, user) -> None:
    """After a return for revision the plans guard needs a new version before the plan is resubmitted (第八条)."""
    from cityrenew.plans import services

    services.add_version(plan, docx("方案修改稿.docx", plan.title), user=user, change_note="按联审意见修改")


@pytest.fixture
def review_scene(regions, zhongyuan_editor, make_user):
    """A plan in 中原区 in 联合审查中 (round 1 open), the matrix departments mapped for 中原区, one reviewer per
    organisation (用户名 = 部门 key), an entity user ``entity1``."""
    from cityrenew.core.choices import OrganisationKind
    from cityrenew.core.models import Organisation, RoleAssignment
    from cityrenew.plans.choices import PlanState
    from cityrenew.plans.models import ImplementationPlan
    from cityrenew.plans.workflow import transition
    from cityrenew.projects.models import RenewalProject
    from cityrenew.review.matrix import packaged_matrix
    from cityrenew.review.models import ReviewDepartment

    zy = regions["中原区"]
    city = regions["郑州市"]
    project = RenewalProject.objects.create(code="K202601001", name="绿东村片区更新", city=city, total_investment=Decimal(3))
    entity = Organisation.objects.create(name="郑州绿东城市更新有限公司", kind=OrganisationKind.ENTITY, region=zy)
    entity_user = make_user("entity1", None, None, first_name="实施主体填报员")
    RoleAssignment.objects.create(user=entity_user, role="entity_editor", region=zy, organisation=entity)
    orgs, users = {}, {}
    for dept in packaged_matrix().departments:
        org = Organisation.objects.create(name=f"中原区{dept.name}（{dept.key}）", kind=OrganisationKind.DEPARTMENT, region=zy)
        ReviewDepartment.objects.create(district=zy, key=dept.key, organisation=org)
        orgs[dept.key] = org
        users[dept.key] = make_department_user(make_user, dept.key, org, zy)
    plan = ImplementationPlan.objects.create(code="SS-ZY-2026-001", title="绿东村片区城市更新实施方案", project=project,
                                             district=zy, entity=entity, summary="绿东村片区综合整治")
    prepare_submission(plan, entity_user)
    for target in (PlanState.CONSULTATION, PlanState.CONSENTED, PlanState.SUBMITTED):
        transition(plan, target, user=entity_user)
    transition(plan, PlanState.PRE_REVIEW, user=zhongyuan_editor)
    transition(plan, PlanState.JOINT_REVIEW, user=zhongyuan_editor)
    return {"plan": plan, "orgs": orgs, "users": users, "entity_user": entity_user, "authority": zhongyuan_editor,
            "district": zy, "city": city}

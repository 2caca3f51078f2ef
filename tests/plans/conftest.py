"""Fixtures of the plans tests: a 中原区 project with a location, an implementing entity and its
填报员, real .docx/.pdf files, and a helper that takes a plan to a state through the real workflow."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile


def docx_bytes(text: str = "实施方案") -> bytes:
    from docx import Document

    doc = Document()
    doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def upload(name: str = "方案.docx", text: str = "实施方案") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, docx_bytes(text))


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# Working-day periods (the notice, land deadlines) count from a pinned day inside the calendar's coverage
# (chinese-calendar knows the years up to 2026); ``pass_notice`` moves it past the notice's end.
TODAY = "2026-03-02"


@pytest.fixture(autouse=True)
def pinned_today(settings):
    settings.CITYRENEW_TODAY = TODAY
    return TODAY


def agree_all(plan):
    """Every department of the plan's open joint-review round agrees (the review app's guard on 通过联合审查)."""
    from cityrenew.core.choices import OrganisationKind, Role
    from cityrenew.core.models import Organisation, RoleAssignment
    from cityrenew.review import services as review
    from cityrenew.review.choices import Opinion
    from cityrenew.review.models import ReviewDepartment
    from tests.conftest import _make_user

    rnd = review.open_round(plan)
    for record in rnd.records.all():
        record.refresh_from_db()  # mapping a department assigns all its records
        if record.organisation is None:
            org = Organisation.objects.create(name=f"中原区{record.department_name}（{record.department_key}）",
                                              kind=OrganisationKind.DEPARTMENT, region=plan.district)
            review.assign_open_records(ReviewDepartment.objects.create(district=plan.district, key=record.department_key,
                                                                       organisation=org))
            record.refresh_from_db()
        user = (RoleAssignment.objects.filter(organisation=record.organisation, role=Role.DEPT_REVIEWER).first() or
                RoleAssignment.objects.create(user=_make_user(f"dept-{record.organisation.pk}", None, None),
                                              role=Role.DEPT_REVIEWER, region=plan.district,
                                              organisation=record.organisation)).user
        review.give_opinion(record, user, Opinion.AGREE)


def approve(plan, authority):
    """联合审查中 → 通过联合审查, after every department's opinion."""
    from cityrenew.plans import workflow
    from cityrenew.plans.choices import PlanState as S

    agree_all(plan)
    workflow.transition(plan, S.APPROVED, user=authority)


def pass_notice(plan, authority, settings):
    """通过联合审查 → 公示中 (published for 15 working days by the notices app) → 办理许可和备案 after its end."""
    import datetime as dt

    from cityrenew.notices import services as notices
    from cityrenew.plans import workflow
    from cityrenew.plans.choices import PlanState as S

    notice = notices.publish(plan, user=authority)
    settings.CITYRENEW_TODAY = (notice.end_date + dt.timedelta(days=1)).isoformat()
    workflow.transition(plan, S.PERMITS, user=authority)
    return notice


@pytest.fixture
def project(regions):
    from cityrenew.core.models import Region
    from cityrenew.projects.models import RenewalProject

    p = RenewalProject.objects.create(code="K202601001", name="中原区测试更新项目", city=Region.objects.get(code="410100"),
                                      total_investment=Decimal("1.5"), location=Point(113.60, 34.75, srid=4326))
    p.districts.set([Region.objects.get(code="410102")])
    return p


@pytest.fixture
def entity_org(regions):
    from cityrenew.core.choices import OrganisationKind
    from cityrenew.core.models import Organisation, Region

    return Organisation.objects.create(name="测试实施主体有限公司", kind=OrganisationKind.ENTITY, region=Region.objects.get(code="410102"))


@pytest.fixture
def other_org(regions):
    from cityrenew.core.choices import OrganisationKind
    from cityrenew.core.models import Organisation, Region

    return Organisation.objects.create(name="另一实施主体有限公司", kind=OrganisationKind.ENTITY, region=Region.objects.get(code="410102"))


def make_entity_user(username: str, org):
    from django.contrib.auth import get_user_model

    from cityrenew.core.choices import Role
    from cityrenew.core.models import Region, RoleAssignment

    user = get_user_model().objects.create_user(username=username, password="pass-" + username, first_name="实施主体填报员")
    RoleAssignment.objects.create(user=user, role=Role.ENTITY_EDITOR, region=Region.objects.get(code="410102"), organisation=org)
    return user


@pytest.fixture
def entity_user(entity_org):
    return make_entity_user("shishi1", entity_org)


@pytest.fixture
def other_entity_user(other_org):
    return make_entity_user("shishi2", other_org)


@pytest.fixture
def plan(project, entity_org, entity_user):
    from cityrenew.core.models import Region
    from cityrenew.plans.models import ImplementationPlan

    return ImplementationPlan.objects.create(code="FA-T-001", title="测试实施方案", project=project,
                                             district=Region.objects.get(code="410102"), entity=entity_org,
                                             summary="方案概要", created_by=entity_user)


def complete_materials(plan, user):
    from cityrenew.plans import services
    from cityrenew.plans.choices import MaterialKind

    services.add_version(plan, upload(), user=user, change_note="初稿")
    services.add_material(plan, MaterialKind.APPLICATION, upload("申请书.docx"), user=user)
    services.add_material(plan, MaterialKind.LICENCE, upload("证照.docx"), user=user)


def to_submitted(plan, entity_user):
    from cityrenew.plans import workflow
    from cityrenew.plans.choices import PlanState as S

    complete_materials(plan, entity_user)
    for target in (S.CONSULTATION, S.CONSENTED, S.SUBMITTED):
        workflow.transition(plan, target, user=entity_user)
    return plan

"""Demo: an implementing entity of 中原区 (login ``shishi``) and six implementation plans of 中原区
projects in several states, moved there through the real workflow by the entity and the district's
authority (``zhongyuan``), with real .docx materials and versions. Idempotent: a plan that exists is
left as it is.

A move the other apps' guards refuse (e.g. joint review needs every department's opinion once the
review app is installed) stops that plan where it is; the other apps' demos take it on from there.
"""

from __future__ import annotations

import io
from datetime import date

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from cityrenew.core import audit
from cityrenew.core.choices import OrganisationKind, Role
from cityrenew.core.models import Organisation, Region, RoleAssignment

from . import services, workflow
from .choices import MaterialKind, PermitKind, PlanCategory
from .choices import PlanState as S
from .models import ImplementationPlan

ENTITY_NAME = "郑州市中原区城市更新发展有限公司（演示）"
LOGIN = ("shishi", "cityrenew-shishi", "中原区城市更新发展有限公司（实施主体填报员）")
DISTRICT = "410102"

# code, title, category, target state, other rights
PLANS = [
    ("FA-2026-001", "建设路街道老旧小区综合整治实施方案", PlanCategory.AREA, S.CONSULTATION, False),
    ("FA-2026-002", "棉纺路片区城市更新实施方案", PlanCategory.AREA, S.SUBMITTED, True),
    ("FA-2026-003", "西流湖街区功能提升实施方案", PlanCategory.FUNCTION, S.REVISION, False),
    ("FA-2026-004", "中原西路沿线更新实施方案", PlanCategory.FUNCTION, S.JOINT_REVIEW, False),
    ("FA-2026-005", "桐柏路老旧街区更新实施方案", PlanCategory.AREA, S.APPROVED, False),
    ("FA-2026-006", "秦岭路片区公共服务设施补短板实施方案", PlanCategory.PUBLIC, S.APPROVED, False),
]
# the way to each state: (target, actor) with actor "entity" or "authority"
PATH = [(S.CONSULTATION, "entity"), (S.CONSENTED, "entity"), (S.SUBMITTED, "entity"), (S.PRE_REVIEW, "authority"),
        (S.JOINT_REVIEW, "authority"), (S.APPROVED, "authority"), (S.NOTICE, "authority"), (S.PERMITS, "authority")]
OPINION_DATE = date(2026, 3, 16)


def docx_file(name: str, title: str, paragraphs: list[str]) -> ContentFile:
    """A real Word document (python-docx) for the demo's materials and plan texts."""
    from docx import Document

    doc = Document()
    doc.add_heading(title, level=1)
    for p in paragraphs:
        doc.add_paragraph(p)
    doc.add_paragraph("（演示数据，由 cityrenew demo 生成，并非真实材料）")
    buf = io.BytesIO()
    doc.save(buf)
    return ContentFile(buf.getvalue(), name=name)


def entity_user() -> tuple:
    region = Region.objects.get(code=DISTRICT)
    org, _ = Organisation.objects.get_or_create(
        name=ENTITY_NAME, defaults={"short_name": "中原更新公司", "kind": OrganisationKind.ENTITY, "region": region})
    username, password, full_name = LOGIN
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
    if created:
        user.set_password(password)
        user.save()
    RoleAssignment.objects.get_or_create(user=user, role=Role.ENTITY_EDITOR, region=region, organisation=org)
    return org, user


def _authority():
    User = get_user_model()
    user = User.objects.filter(username="zhongyuan").first()
    if user is None:  # loaded without core's demo users (tests): a district editor of 中原区, no password
        user, _ = User.objects.get_or_create(username="zhongyuan-plans-demo", defaults={"first_name": "中原区编辑（演示）"})
        RoleAssignment.objects.get_or_create(user=user, role=Role.DISTRICT_EDITOR, region=Region.objects.get(code=DISTRICT))
    return user


def _prepare_submission(plan: ImplementationPlan, user) -> None:
    services.add_version(plan, docx_file(f"{plan.code}-方案.docx", plan.title, [plan.summary]), user=user,
                         change_note="初稿")
    services.add_material(plan, MaterialKind.APPLICATION, docx_file(f"{plan.code}-申请书.docx", "实施方案联合审查申请书", [plan.title]), user=user)
    services.add_material(plan, MaterialKind.LICENCE, docx_file(f"{plan.code}-证照.docx", "营业执照（复印件）", [ENTITY_NAME]), user=user)
    if plan.other_rights:
        services.add_material(plan, MaterialKind.OTHER_RIGHTS, docx_file(f"{plan.code}-他项权益人同意.docx", "他项权益人书面同意意见",
                                                                         ["抵押权人同意按实施方案实施更新。"]), user=user)


def _advance(plan: ImplementationPlan, target: str, entity, authority, stdout) -> None:
    if target == S.DRAFTING:
        return
    for state, actor in PATH:
        if state == S.APPROVED and apps.is_installed("cityrenew.review"):  # its guard: every opinion in, none 不同意
            from cityrenew.review.demo import agree_open_round

            agree_open_round(plan)
        try:
            workflow.transition(plan, state, user=entity if actor == "entity" else authority, note="演示数据")
        except workflow.TransitionError as exc:
            if stdout is not None:
                stdout.write(f"实施方案演示：{plan.code} 停在“{plan.get_state_display()}”（{exc}）\n")
            return
        if state == S.APPROVED and plan.opinion_date is None:  # the review app sets it when it is installed
            plan.opinion_date = OPINION_DATE
            plan.save()
        if state == target:
            break
        if target == S.REVISION and state == S.PRE_REVIEW:
            services.request_revision(plan, ["补充现状房屋权属调查表", "明确资金平衡测算的依据"], user=authority,
                                      note="请补充完善后重新报送")
            return
    if plan.state == S.PERMITS:
        services.record_permit(plan, user=entity, kind=PermitKind.PLANNING, name="建设工程规划许可证", number="建字第410102202600001号",
                               issuer="郑州市自然资源和规划局", issued_on=date(2026, 5, 20))


def load(stdout=None) -> dict[str, int]:
    from cityrenew.projects.models import RenewalProject

    with audit.actor(None, "system", "演示数据"):
        entity, user = entity_user()
        authority = _authority()
        projects = list(RenewalProject.objects.filter(districts__code=DISTRICT).order_by("code").distinct()[: len(PLANS)])
        made = 0
        for (code, title, category, target, other_rights), project in zip(PLANS, projects):
            if ImplementationPlan.objects.filter(code=code).exists():
                continue
            plan = ImplementationPlan.objects.create(
                code=code, title=title, project=project, district=Region.objects.get(code=DISTRICT), entity=entity,
                category=category, other_rights=other_rights, created_by=user,
                summary=f"{project.name}：{title}。更新范围、改造内容、资金测算和实施计划见方案文本（演示数据）。")
            _prepare_submission(plan, user)
            _advance(plan, target, user, authority, stdout)
            made += 1
    if stdout is not None:
        stdout.write(f"实施方案演示：新建 {made} 个，共 {ImplementationPlan.objects.count()} 个（/plans/）\n")
    return {"plans": made, "login": LOGIN}

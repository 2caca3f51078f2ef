"""The plan's workflow beyond the state machine: materials of 第六条, revision rounds of 第八条, the
expert review of 第九条, permits of 第十三条, the land deadlines of 第十八条; every refusal Chinese and
nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest

from cityrenew.core.models import AuditLog
from cityrenew.plans import services, workflow
from cityrenew.plans.choices import ExpertConclusion, MaterialKind, PermitKind
from cityrenew.plans.choices import PlanState as S
from cityrenew.plans.models import PlanTransition
from cityrenew.workdays.calendar import add_years, next_workday

from .conftest import approve, complete_materials, pass_notice, to_submitted, upload

pytestmark = pytest.mark.django_db


def _to_consented(plan, user):
    workflow.transition(plan, S.CONSULTATION, user=user)
    workflow.transition(plan, S.CONSENTED, user=user)


def test_submit_needs_every_material(plan, entity_user):
    services.add_material(plan, MaterialKind.APPLICATION, upload("申请书.docx"), user=entity_user)
    _to_consented(plan, entity_user)
    with pytest.raises(workflow.TransitionError) as err:
        workflow.transition(plan, S.SUBMITTED, user=entity_user)
    assert "申报材料不全" in str(err.value) and "统筹主体、实施主体合法有效证照" in str(err.value) and "城市更新实施方案" in str(err.value)
    assert "申请书" not in str(err.value)
    plan.refresh_from_db()
    assert plan.state == S.CONSENTED and not plan.transitions.filter(to_state=S.SUBMITTED).exists()
    services.add_material(plan, MaterialKind.LICENCE, upload("证照.docx"), user=entity_user)  # after consent: allowed
    with pytest.raises(workflow.TransitionError, match="缺少：城市更新实施方案（"):  # the plan text itself (a version)
        workflow.transition(plan, S.SUBMITTED, user=entity_user)
    with pytest.raises(services.PlanError, match="物业权利人同意后方案文本不再改动"):
        services.add_version(plan, upload(), user=entity_user)
    plan.refresh_from_db()
    assert plan.state == S.CONSENTED and not plan.versions.exists()


def test_other_rights_consent_required_only_when_declared(plan, entity_user):
    plan.other_rights = True
    plan.save()
    complete_materials(plan, entity_user)
    _to_consented(plan, entity_user)
    with pytest.raises(workflow.TransitionError, match="他项权益人书面同意意见"):
        workflow.transition(plan, S.SUBMITTED, user=entity_user)
    rows = {r.kind: r for r in services.materials_checklist(plan)}
    assert rows[MaterialKind.OTHER_RIGHTS].required and not rows[MaterialKind.OTHER_RIGHTS].satisfied
    services.add_material(plan, MaterialKind.OTHER_RIGHTS, upload("同意.docx"), user=entity_user)
    workflow.transition(plan, S.SUBMITTED, user=entity_user)
    plan.other_rights = False
    assert not {r.kind: r for r in services.materials_checklist(plan)}[MaterialKind.OTHER_RIGHTS].required


def test_material_with_wrong_content_refused(plan, entity_user):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError, match="内容"):
        services.add_material(plan, MaterialKind.APPLICATION, SimpleUploadedFile("申请书.pdf", b"<html><script>x</script></html>"),
                              user=entity_user)
    assert not plan.materials.exists()


def test_revision_loop(plan, entity_user, zhongyuan_editor):
    to_submitted(plan, entity_user)
    workflow.transition(plan, S.PRE_REVIEW, user=zhongyuan_editor)
    with pytest.raises(services.PlanError, match="至少列出一项"):
        services.request_revision(plan, ["  ", ""], user=zhongyuan_editor)
    assert plan.state == S.PRE_REVIEW
    req = services.request_revision(plan, ["补充权属调查", "补充资金测算"], user=zhongyuan_editor, note="请完善")
    assert plan.state == S.REVISION and req.number == 1 and [i.number for i in req.items.all()] == [1, 2]
    # resubmitting needs every item answered and a new version
    with pytest.raises(workflow.TransitionError, match="第1、2项尚未答复"):
        workflow.transition(plan, S.SUBMITTED, user=entity_user)
    for item in req.items.all():
        services.respond(item, f"已{item.text}", user=entity_user)
    with pytest.raises(workflow.TransitionError, match="新版本"):
        workflow.transition(plan, S.SUBMITTED, user=entity_user)
    with pytest.raises(services.PlanError, match="修改说明"):
        services.add_version(plan, upload("方案v2.docx"), user=entity_user)
    v2 = services.add_version(plan, upload("方案v2.docx"), user=entity_user, change_note="按第1轮意见修改")
    assert v2.number == 2 and plan.latest_version == v2
    workflow.transition(plan, S.SUBMITTED, user=entity_user)
    # a second round: the loop of 第八条
    workflow.transition(plan, S.PRE_REVIEW, user=zhongyuan_editor)
    req2 = services.request_revision(plan, ["再补充交通评估"], user=zhongyuan_editor)
    assert req2.number == 2 and services.open_request(plan) == req2
    with pytest.raises(services.PlanError, match="不在当前一轮"):
        services.respond(req.items.first(), "改答复", user=entity_user)
    assert [t.to_state for t in PlanTransition.objects.filter(plan=plan)][-3:] == [S.SUBMITTED, S.PRE_REVIEW, S.REVISION]
    assert AuditLog.objects.filter(content_type__model="revisionitem", action="update").count() == 2


def test_entity_may_not_make_authority_moves(plan, entity_user, erqi_editor):
    to_submitted(plan, entity_user)
    with pytest.raises(workflow.TransitionError, match="您无权.*受理并开展审查前准备"):
        workflow.transition(plan, S.PRE_REVIEW, user=entity_user)
    with pytest.raises(workflow.TransitionError, match="您无权"):  # another district's editor
        workflow.transition(plan, S.PRE_REVIEW, user=erqi_editor)
    plan.refresh_from_db()
    assert plan.state == S.SUBMITTED


def test_expert_review_guard(plan, entity_user, zhongyuan_editor):
    plan.expert_review_required = True
    plan.save()
    to_submitted(plan, entity_user)
    workflow.transition(plan, S.PRE_REVIEW, user=zhongyuan_editor)
    with pytest.raises(workflow.TransitionError, match="需开展专家评审"):
        workflow.transition(plan, S.JOINT_REVIEW, user=zhongyuan_editor)
    workflow.transition(plan, S.EXPERT_REVIEW, user=zhongyuan_editor)
    with pytest.raises(workflow.TransitionError, match="尚未登记专家评审结论"):
        workflow.transition(plan, S.JOINT_REVIEW, user=zhongyuan_editor)
    services.record_expert_review(plan, user=zhongyuan_editor, held_on=dt.date(2026, 3, 2), experts="甲、乙、丙",
                                  conclusion=ExpertConclusion.FAIL, opinion="交通组织不可行")
    with pytest.raises(workflow.TransitionError, match="不通过"):
        workflow.transition(plan, S.JOINT_REVIEW, user=zhongyuan_editor)
    services.record_expert_review(plan, user=zhongyuan_editor, held_on=dt.date(2026, 3, 9), experts="甲、乙、丙",
                                  conclusion=ExpertConclusion.PASS_WITH_CHANGES, opinion="按意见修改")
    workflow.transition(plan, S.JOINT_REVIEW, user=zhongyuan_editor)
    assert plan.state == S.JOINT_REVIEW


def _to_permits(plan, entity_user, authority, settings):
    to_submitted(plan, entity_user)
    for target in (S.PRE_REVIEW, S.JOINT_REVIEW):
        workflow.transition(plan, target, user=authority)
    approve(plan, authority)
    with pytest.raises(workflow.TransitionError, match="发布公示"):  # the notices app publishes, with its period
        workflow.transition(plan, S.NOTICE, user=authority)
    pass_notice(plan, authority, settings)


def test_permits_and_land(plan, entity_user, zhongyuan_editor, settings):
    _to_permits(plan, entity_user, zhongyuan_editor, settings)
    with pytest.raises(workflow.TransitionError, match="尚未登记任何"):
        workflow.transition(plan, S.LAND, user=entity_user)
    services.record_permit(plan, user=entity_user, kind=PermitKind.PLANNING, name="建设工程规划许可证", issued_on=dt.date(2026, 5, 1))
    workflow.transition(plan, S.LAND, user=entity_user)
    with pytest.raises(workflow.TransitionError, match="首期用地手续"):
        workflow.transition(plan, S.IMPLEMENTATION, user=entity_user)
    plan.land_first_done = dt.date(2026, 8, 1)
    plan.save()
    workflow.transition(plan, S.IMPLEMENTATION, user=entity_user)
    assert plan.state == S.IMPLEMENTATION


def test_permit_before_notice_refused(plan, entity_user):
    with pytest.raises(services.PlanError, match="公示期满后"):
        services.record_permit(plan, user=entity_user, kind=PermitKind.LAND, name="用地批复", issued_on=dt.date(2026, 5, 1))
    assert not plan.permits.exists()


def test_add_years_corresponding_day_and_29_february():
    # 民法典第二百零二条: the corresponding day; none in a common year → the month's last day
    assert add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
    assert add_years(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 29)
    assert add_years(dt.date(2024, 2, 29), 2) == dt.date(2026, 2, 28)
    assert add_years(dt.date(2024, 3, 1), 2) == dt.date(2026, 3, 1)
    assert add_years(dt.date(2023, 10, 8), 2) == dt.date(2025, 10, 8)


def test_land_deadlines_move_past_rest_days(plan):
    # opinion 2023-10-01: two years on is 2025-10-01, inside the National Day holiday (10-01 to 10-08):
    # 第二百零三条 moves the end to the first working day after it, 2025-10-09
    plan.opinion_date = dt.date(2023, 10, 1)
    first, whole = services.land_deadlines(plan)
    assert first.due == dt.date(2025, 10, 9) == next_workday(dt.date(2025, 10, 1))
    assert "顺延至2025-10-09" in first.note
    assert whole.due == dt.date(2028, 10, 1) and "节假日安排未知" in whole.note  # a year the calendar does not know
    # 2024-02-29 + 2 years: 2026-02-28 is a Saturday adjusted working day (春节调休): it stays
    plan.opinion_date = dt.date(2024, 2, 29)
    assert services.land_deadlines(plan)[0].due == dt.date(2026, 2, 28)
    plan.opinion_date = None
    assert services.land_deadlines(plan) == []


def test_refusal_says_why_without_writing(plan, entity_user, zhongyuan_editor):
    _to_consented(plan, entity_user)
    before = (AuditLog.objects.count(), PlanTransition.objects.count(), plan.row_version)
    assert "申报材料不全" in workflow.refusal(plan, S.SUBMITTED, user=entity_user)
    assert "您无权" in workflow.refusal(plan, S.SUBMITTED, user=zhongyuan_editor)
    assert "不能变更为" in workflow.refusal(plan, S.APPROVED, user=zhongyuan_editor)
    assert "不能变更为" in workflow.refusal(plan, S.CONSULTATION, user=entity_user)  # already past it
    assert (AuditLog.objects.count(), PlanTransition.objects.count(), plan.row_version) == before
    for kind in (MaterialKind.APPLICATION, MaterialKind.LICENCE):
        services.add_material(plan, kind, upload(f"{kind}.docx"), user=entity_user)
    assert workflow.refusal(plan, S.SUBMITTED, user=entity_user).endswith("缺少：城市更新实施方案（第六条）")
    plan2 = type(plan).objects.create(code="FA-T-002", title="x", project=plan.project, district=plan.district, entity=plan.entity)
    assert workflow.refusal(plan2, S.CONSULTATION, user=entity_user) == ""

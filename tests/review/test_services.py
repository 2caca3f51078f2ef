"""The joint review on a real database: rounds opened by the plan's workflow, opinions and their refusals,
the approval guard, return for revision and the next round, the combined opinion document, due dates."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cityrenew.core.models import AuditLog
from cityrenew.plans.choices import PlanState
from cityrenew.plans.workflow import TransitionError, transition
from cityrenew.review import services
from cityrenew.review.choices import Opinion, RoundStatus
from cityrenew.review.matrix import packaged_matrix
from cityrenew.review.models import ReviewRecord, ReviewSettings
from cityrenew.review.services import ReviewError, give_opinion
from tests.review.conftest import revise

pytestmark = pytest.mark.django_db

ALWAYS = {"planning_conformity", "basic_facts", "technical_guidelines", "planning_land", "consultation_vote",
          "feasibility", "space_use", "operation", "unregistered_buildings"}


def _answer_all(scene, rnd, opinion=Opinion.AGREE, **kw):
    for rec in rnd.records.all():
        give_opinion(rec, scene["users"][rec.department_key], opinion, **kw)


def _audit_count(obj) -> int:
    return AuditLog.for_object(obj).count()


def test_entering_joint_review_opens_a_round_with_one_record_per_item(review_scene):
    plan = review_scene["plan"]
    rnd = services.open_round(plan)
    assert rnd.number == 1 and rnd.status == RoundStatus.OPEN and rnd.matrix_source == "packaged"
    records = {r.item_key: r for r in rnd.records.all()}
    assert set(records) == ALWAYS == {i.key for i in packaged_matrix().always}
    planning = records["planning_land"]
    assert planning.department_name == "区规划自然资源部门"
    assert planning.organisation == review_scene["orgs"]["planning"]
    assert planning.where == "第十二条（三）" and planning.clause == "（三）" and "产权办理路径" in planning.points
    assert records["space_use"].organisation == review_scene["orgs"]["housing"]
    assert all(r.due_date is None for r in records.values())  # the 办法 sets no time limit


def test_opinions_need_conditions_or_reasons_and_change_nothing_when_refused(review_scene):
    rec = services.open_round(review_scene["plan"]).records.get(item_key="planning_land")
    user = review_scene["users"]["planning"]
    before = (rec.row_version, _audit_count(rec))
    with pytest.raises(ReviewError, match="须写明同意的条件"):
        give_opinion(rec, user, Opinion.CONDITIONAL, conditions="  ")
    with pytest.raises(ReviewError, match="须写明理由"):
        give_opinion(rec, user, Opinion.DISAGREE)
    with pytest.raises(ReviewError, match="审查意见“maybe”无效"):
        give_opinion(rec, user, "maybe")
    rec.refresh_from_db()
    assert (rec.row_version, _audit_count(rec)) == before and rec.opinion == ""
    give_opinion(rec, user, Opinion.CONDITIONAL, conditions="外立面改造须保留红砖风貌", reasons="不应保存")
    rec.refresh_from_db()
    assert rec.opinion == Opinion.CONDITIONAL and rec.conditions == "外立面改造须保留红砖风貌" and rec.reasons == ""
    assert rec.answered_by == user and _audit_count(rec) == before[1] + 1


def test_an_opinion_from_a_department_not_in_the_matrix_is_refused(review_scene, make_user, regions):
    from cityrenew.core.choices import OrganisationKind
    from cityrenew.core.models import Organisation

    from .conftest import make_department_user

    rnd = services.open_round(review_scene["plan"])
    rec = rnd.records.get(item_key="feasibility")
    outsider_org = Organisation.objects.create(name="中原区教育局", kind=OrganisationKind.DEPARTMENT, region=review_scene["district"])
    outsider = make_department_user(make_user, "edu", outsider_org, review_scene["district"])
    before = (rec.row_version, _audit_count(rec))
    with pytest.raises(ReviewError, match=r"您所在的部门（中原区教育局）不在.*审查矩阵中"):
        give_opinion(rec, outsider, Opinion.AGREE)
    # a department of the matrix answering another department's item
    with pytest.raises(ReviewError, match="由中原区区发展改革部门.*审查"):
        give_opinion(rec, review_scene["users"]["planning"], Opinion.AGREE)
    # the authority itself is not a department
    with pytest.raises(ReviewError, match="只有联审部门"):
        give_opinion(rec, review_scene["authority"], Opinion.AGREE)
    # an item key that is not in the round (API path)
    with pytest.raises(ReviewError, match="审查事项“fiscal_funds”不在"):
        services.opinion_on_item(rnd, "fiscal_funds", review_scene["users"]["finance"], Opinion.AGREE)
    rec.refresh_from_db()
    assert (rec.row_version, _audit_count(rec)) == before and rec.opinion == ""


def test_approval_guard_then_return_for_revision_and_a_new_round(review_scene):
    plan, authority = review_scene["plan"], review_scene["authority"]
    rnd = services.open_round(plan)
    with pytest.raises(TransitionError, match="尚有9项审查意见未出具"):
        transition(plan, PlanState.APPROVED, user=authority)
    _answer_all(review_scene, rnd)
    rec = rnd.records.get(item_key="operation")
    give_opinion(rec, review_scene["users"]["market_regulation"], Opinion.DISAGREE, reasons="运营主体不明确")
    with pytest.raises(TransitionError, match="区市场监管部门出具了不同意意见"):
        transition(plan, PlanState.APPROVED, user=authority)
    plan.refresh_from_db()
    assert plan.state == PlanState.JOINT_REVIEW and plan.opinion_date is None
    transition(plan, PlanState.REVISION, user=authority, note="运营管理方案需补充")
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.RETURNED and rnd.closed_at is not None
    with pytest.raises(ReviewError, match="已结束"):
        give_opinion(rec, review_scene["users"]["market_regulation"], Opinion.AGREE)
    revise(plan, review_scene["entity_user"])
    transition(plan, PlanState.SUBMITTED, user=review_scene["entity_user"])
    transition(plan, PlanState.PRE_REVIEW, user=authority)
    transition(plan, PlanState.JOINT_REVIEW, user=authority)
    second = services.open_round(plan)
    assert second.number == 2 and second.pk != rnd.pk
    assert second.records.count() == len(ALWAYS) and not second.records.exclude(opinion="").exists()


def test_approval_writes_the_combined_opinion_and_sets_the_opinion_date(review_scene):
    from docx import Document

    plan = review_scene["plan"]
    rnd = services.open_round(plan)
    services.add_items(rnd, ["fiscal_funds"], review_scene["authority"])
    _answer_all(review_scene, rnd)
    give_opinion(rnd.records.get(item_key="planning_land"), review_scene["users"]["planning"], Opinion.CONDITIONAL,
                 conditions="保留红砖立面")
    transition(plan, PlanState.APPROVED, user=review_scene["authority"])
    plan.refresh_from_db()
    rnd.refresh_from_db()
    assert plan.opinion_date == dt.date(2026, 6, 1)
    assert rnd.status == RoundStatus.APPROVED and rnd.opinion_file.name.endswith(".docx")
    content = rnd.opinion_file.read()
    assert hashlib.sha256(content).hexdigest() == rnd.opinion_sha256
    doc = Document(io.BytesIO(content))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for row in doc.tables[0].rows for c in row.cells]
    assert "绿东村片区城市更新实施方案联合审查意见" in text
    assert "共10项审查事项：同意9项，有条件同意1项" in text
    assert "保留红砖立面" in text and "第十条" in text and "第十一条" in text
    assert "中原区区财政部门（finance）" in cells and "第十二条（六）" in cells and "有条件同意" in cells
    assert len(doc.tables[0].rows) == 11


def test_conditional_items_only_by_the_authority(review_scene):
    rnd = services.open_round(review_scene["plan"])
    keys = {i.key for i in services.addable_items(rnd)}
    assert "fire_evaluation" in keys and "planning_land" not in keys
    with pytest.raises(ReviewError, match="只有中原区的城市更新主管部门"):
        services.add_items(rnd, ["fire_evaluation"], review_scene["users"]["fire_rescue"])
    with pytest.raises(ReviewError, match="不在本市审查矩阵的可增加事项中"):
        services.add_items(rnd, ["planning_land"], review_scene["authority"])
    [rec] = services.add_items(rnd, ["fire_evaluation"], review_scene["authority"])
    assert rec.department_name == "区消防救援机构" and rec.condition == "涉及消防专业技术评价的"
    assert rec.organisation == review_scene["orgs"]["fire_rescue"]
    # taken back by the authority while unanswered; an unconditional item or an answered one stays
    planning = rnd.records.get(item_key="planning_land")
    with pytest.raises(ReviewError, match="是每个实施方案都须审查的事项（第十二条（三））"):
        services.remove_item(planning, review_scene["authority"])
    with pytest.raises(ReviewError, match="只有中原区的城市更新主管部门可以移除"):
        services.remove_item(rec, review_scene["users"]["fire_rescue"])
    give_opinion(rec, review_scene["users"]["fire_rescue"], Opinion.AGREE)
    with pytest.raises(ReviewError, match="已对“消防专业技术评价”出具意见"):
        services.remove_item(rec, review_scene["authority"])
    [funds] = services.add_items(rnd, ["fiscal_funds"], review_scene["authority"])
    funds_pk = funds.pk
    services.remove_item(funds, review_scene["authority"])
    assert not rnd.records.filter(item_key="fiscal_funds").exists()
    assert AuditLog.objects.filter(object_id=str(funds_pk), object_repr__contains="财政资金", action="delete").count() == 1


def test_due_dates_count_working_days_when_the_city_sets_a_period(review_scene):
    from cityrenew.workdays.calendar import add_workdays

    zy, city = review_scene["district"], review_scene["city"]
    assert services.due_date_for(zy, dt.date(2025, 9, 26)) is None
    ReviewSettings.objects.create(city=city, due_workdays=5)
    # 2025-09-26 (Fri): 09-28 (Sun) is an adjusted working day, 10-01…10-08 the National Day holiday
    assert services.due_date_for(zy, dt.date(2025, 9, 26)) == dt.date(2025, 10, 10)
    assert add_workdays(dt.date(2025, 9, 26), 5) == dt.date(2025, 10, 10)
    rec = services.open_round(review_scene["plan"]).records.first()
    rec.due_date = dt.date(2026, 6, 1) - dt.timedelta(days=1)
    assert rec.overdue
    rec.due_date = dt.date(2026, 6, 1)
    assert not rec.overdue  # the last day itself is not yet overdue
    rec.due_date, rec.opinion = dt.date(2026, 6, 1) - dt.timedelta(days=1), Opinion.AGREE
    assert not rec.overdue


def test_attachments_are_checked_by_content(review_scene):
    rec = services.open_round(review_scene["plan"]).records.get(item_key="feasibility")
    user = review_scene["users"]["development_reform"]
    with pytest.raises(ReviewError, match="附件“意见.pdf”"):
        give_opinion(rec, user, Opinion.AGREE, files=[SimpleUploadedFile("意见.pdf", b"<html><script>x</script>")])
    rec.refresh_from_db()
    assert rec.opinion == "" and not rec.attachments.exists()
    give_opinion(rec, user, Opinion.AGREE, files=[SimpleUploadedFile("意见.pdf", b"%PDF-1.7\n1 0 obj\n")],
                 description="发改委审查意见")
    assert rec.attachments.get().description == "发改委审查意见"
    assert services.can_read_file(user, rec.attachments.get().file.name) is True
    assert services.can_read_file(review_scene["users"]["planning"], rec.attachments.get().file.name) is False


def test_unmapped_departments_are_assigned_when_the_district_maps_them(review_scene):
    from cityrenew.core.choices import OrganisationKind
    from cityrenew.core.models import Organisation
    from cityrenew.review.models import ReviewDepartment

    rnd = services.open_round(review_scene["plan"])
    rec = rnd.records.get(item_key="operation")
    mapping = ReviewDepartment.objects.get(district=review_scene["district"], key="market_regulation")
    new_org = Organisation.objects.create(name="中原区市场监督管理局", kind=OrganisationKind.DEPARTMENT,
                                          region=review_scene["district"])
    mapping.organisation = new_org
    mapping.save()
    assert services.assign_open_records(mapping) == 1
    rec.refresh_from_db()
    assert rec.organisation == new_org
    assert ReviewRecord.objects.filter(organisation=review_scene["orgs"]["market_regulation"]).count() == 0


def test_inbox_items_for_departments_and_the_authority(review_scene):
    from cityrenew.core.inbox import items_for

    planning = review_scene["users"]["planning"]
    rec = services.open_round(review_scene["plan"]).records.get(item_key="planning_land")
    mine = [i for i in items_for(planning).get("to_review", []) if i.title.startswith("联合审查")]
    assert [i.title for i in mine] == ["联合审查 · SS-ZY-2026-001 绿东村片区城市更新实施方案 · 规划、用地与产权"]
    assert mine[0].url == rec.get_absolute_url() and mine[0].deadline is None
    assert not [i for i in items_for(review_scene["authority"]).get("to_review", []) if "意见已齐" in i.title]
    _answer_all(review_scene, services.open_round(review_scene["plan"]))
    assert [i.status for i in items_for(planning).get("submitted", []) if i.title.startswith("联合审查")] == ["同意"]
    assert not [i for i in items_for(planning).get("to_review", []) if i.title.startswith("联合审查")]
    ready = [i for i in items_for(review_scene["authority"]).get("to_review", []) if "意见已齐" in i.title]
    assert len(ready) == 1 and "9项意见" in ready[0].detail

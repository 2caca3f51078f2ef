"""Tranches (资金拨付申请): within the plan, two approvals by different people, release checks, audit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from cityrenew.core.models import AuditLog
from cityrenew.funding import hooks, services
from cityrenew.funding.models import Tranche, TrancheReview

pytestmark = pytest.mark.django_db


def request(user, project, amount, channel="central_finance", year=2025):
    return services.request_tranche(user, project, channel=channel, year=year, amount_value=amount, purpose="工程款")


def test_a_tranche_up_to_the_plan_is_accepted_one_unit_more_is_refused(plan, zhongyuan_editor):
    with pytest.raises(services.FundingError) as exc:
        request(zhongyuan_editor, plan, "3000.000001")
    assert "超过资金计划剩余额度" in exc.value.message and "剩余 3000 万元" in exc.value.message
    assert Tranche.objects.count() == 0
    t = request(zhongyuan_editor, plan, "3000")
    assert t.state == "requested" and t.amount == Decimal("3000")


@pytest.mark.parametrize("value, words", [("-1", "不能为负数"), ("-0.000001", "不能为负数"), ("0", "必须大于 0"),
                                          ("abc", "不是数字")])
def test_negative_zero_and_text_amounts_are_refused_nothing_saved(plan, zhongyuan_editor, value, words):
    with pytest.raises(services.FundingError) as exc:
        request(zhongyuan_editor, plan, value)
    assert words in exc.value.message
    assert Tranche.objects.count() == 0 and TrancheReview.objects.count() == 0


def test_no_plan_for_that_channel_and_year_is_refused(plan, zhongyuan_editor):
    with pytest.raises(services.FundingError, match="没有 2026 年“中央财政城市更新补助资金”的资金计划"):
        request(zhongyuan_editor, plan, "1", year=2026)
    with pytest.raises(services.FundingError, match="没有 2025 年“超长期特别国债”的资金计划"):
        request(zhongyuan_editor, plan, "1", channel="treasury_bond")
    assert Tranche.objects.count() == 0


def test_two_approvals_by_different_people_then_paid(plan, entity_user, zhongyuan_editor, finance_user):
    t = request(entity_user, plan, "1000")
    # the requester never approves its own request; finance does not act before the district
    assert not services.permissions.can_decide(entity_user, t)
    assert not services.permissions.can_decide(finance_user, t)
    services.decide(zhongyuan_editor, t, approve=True, comment="同意，材料齐全")
    t.refresh_from_db()
    assert t.state == "district_approved"
    # the district approver does not approve for finance
    assert not services.permissions.can_decide(zhongyuan_editor, t)
    with pytest.raises(PermissionDenied, match="财政审核"):
        services.decide(zhongyuan_editor, t, approve=True)
    services.decide(finance_user, t, approve=True, comment="同意拨付")
    t.refresh_from_db()
    assert t.state == "approved"
    services.decide(finance_user, t, approve=True, comment="已拨付")
    t.refresh_from_db()
    assert t.state == "paid"
    assert [(r.stage, r.decision, r.user.username) for r in t.reviews.all()] == [
        ("district", "approve", "zyeditor"), ("finance", "approve", "caizheng"), ("payment", "paid", "caizheng")]
    with pytest.raises(PermissionDenied, match="已拨付"):
        services.decide(finance_user, t, approve=True)


def test_who_may_approve(plan, zhongyuan_editor, erqi_editor, city_admin, viewer, finance_user, other_reviewer):
    t = request(zhongyuan_editor, plan, "10")
    assert not services.permissions.can_decide(erqi_editor, t)  # another district
    assert not services.permissions.can_decide(viewer, t)
    assert services.permissions.can_decide(city_admin, t)
    services.decide(city_admin, t, approve=True)
    t.refresh_from_db()
    assert not services.permissions.can_decide(other_reviewer, t)  # 教育局: not a finance bureau
    assert services.permissions.can_decide(finance_user, t)


def test_approved_tranches_use_the_plan_and_approval_checks_again(plan, zhongyuan_editor, city_admin, finance_user):
    a = request(zhongyuan_editor, plan, "2000")
    b = request(zhongyuan_editor, plan, "2000")  # fits while nothing is approved yet
    for t in (a, b):
        services.decide(city_admin, t, approve=True)
    services.decide(finance_user, a, approve=True)
    assert services.remaining(plan, "central_finance", 2025) == (Decimal("3000"), Decimal("1000"))
    with pytest.raises(services.FundingError, match="剩余 1000 万元"):
        services.decide(finance_user, b, approve=True)
    b.refresh_from_db()
    assert b.state == "district_approved" and b.reviews.count() == 1  # nothing written
    with pytest.raises(services.FundingError, match="剩余 1000 万元"):
        request(zhongyuan_editor, plan, "1000.5")
    assert request(zhongyuan_editor, plan, "1000").amount == Decimal("1000")


def test_a_returned_tranche_needs_a_reason_and_frees_the_plan(plan, zhongyuan_editor, city_admin, finance_user):
    t = request(zhongyuan_editor, plan, "3000")
    services.decide(city_admin, t, approve=True)
    with pytest.raises(services.FundingError, match="必须填写「意见说明」"):
        services.decide(finance_user, t, approve=False, comment="  ")
    services.decide(finance_user, t, approve=False, comment="缺少工程进度证明")
    t.refresh_from_db()
    assert t.state == "rejected"
    assert services.remaining(plan, "central_finance", 2025)[1] == Decimal("3000")


def test_release_checks_block_the_finance_approval(plan, zhongyuan_editor, city_admin, finance_user):
    def needs_targets(tranche):
        return "未填报 2025 年度绩效目标表" if tranche.channel == "central_finance" else ""

    hooks.register_release_check(needs_targets)
    try:
        t = request(zhongyuan_editor, plan, "100")
        services.decide(city_admin, t, approve=True)
        with pytest.raises(services.FundingError, match="暂不能拨付：未填报 2025 年度绩效目标表"):
            services.decide(finance_user, t, approve=True)
        t.refresh_from_db()
        assert t.state == "district_approved"
        other = request(zhongyuan_editor, plan, "100", channel="general_budget")
        services.decide(city_admin, other, approve=True)
        services.decide(finance_user, other, approve=True)  # the check does not concern this channel
    finally:
        hooks.unregister_release_check(needs_targets)


def test_every_step_is_audited_with_its_user(plan, zhongyuan_editor, city_admin):
    from cityrenew.core import audit

    with audit.actor(zhongyuan_editor, "web"):
        t = request(zhongyuan_editor, plan, "500")
    with audit.actor(city_admin, "web"):
        services.decide(city_admin, t, approve=True, comment="同意")
    entries = list(AuditLog.for_object(t).order_by("timestamp", "id"))
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[0].user == zhongyuan_editor and entries[1].user == city_admin
    assert entries[1].changes["state"] == ["requested", "district_approved"]


def test_requesting_needs_a_role_on_the_project(plan, erqi_editor, viewer, entity_user):
    for user in (erqi_editor, viewer):
        with pytest.raises(PermissionDenied):
            request(user, plan, "1")
    assert request(entity_user, plan, "1").requested_by == entity_user


def test_the_plan_cannot_fall_below_what_was_approved(client, plan, zhongyuan_editor, city_admin, finance_user):
    from cityrenew.funding import importer
    from cityrenew.funding.models import FundingLine
    from tests.funding.test_import import xlsx

    t = request(zhongyuan_editor, plan, "1000")
    services.decide(city_admin, t, approve=True)
    services.decide(finance_user, t, approve=True)
    line = FundingLine.objects.get(channel="central_finance")
    client.force_login(zhongyuan_editor)
    data = {"planned": "999.99", "received": "0", "spent": "0", "row_version": line.row_version}
    r = client.post(f"/funding/lines/{line.pk}/edit/", data)
    assert r.status_code == 400
    assert "计划金额 999.99 万元低于该渠道该年度已审核、已拨付的拨付申请合计 1000 万元" in r.content.decode()
    report = importer.import_lines(zhongyuan_editor, xlsx([["K202201005", "中央财政城市更新补助资金", 2025, 999, 0, 0, ""]]),
                                   dry_run=False)
    assert [str(e) for e in report.errors] == [
        "第 2 行「计划金额（万元）」：计划金额 999 万元低于该渠道该年度已审核、已拨付的拨付申请合计 1000 万元"]
    line.refresh_from_db()
    assert line.planned == Decimal("3000")
    r = client.post(f"/funding/lines/{line.pk}/edit/", {**data, "planned": "1000"})
    assert r.status_code == 302
    line.refresh_from_db()
    assert line.planned == Decimal("1000")

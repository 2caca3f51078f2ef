"""The state machine of a report: generated → submitted → returned (with comments) / accepted; new versions;
who may do what (the city's 市级管理员 generates and submits, the province user reviews); audited."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from cityrenew.core import audit
from cityrenew.core.models import AuditLog
from cityrenew.reports import services
from cityrenew.reports.models import ProgressReport

pytestmark = pytest.mark.django_db


def test_submit_return_new_version_accept(two_cities, luoyang_admin, province_user):
    city = two_cities["luoyang"]
    v1 = services.generate(luoyang_admin, city, 2025, progress="进展")
    services.submit(luoyang_admin, v1)
    assert v1.state == "submitted" and v1.submitted_by == luoyang_admin

    # while under review, no new version
    with pytest.raises(services.ReportError, match="已报送、正在审核"):
        services.generate(luoyang_admin, city, 2025)
    # a return needs comments; nothing changes without them
    with pytest.raises(services.ReportError, match="必须填写「审核意见」"):
        services.review(province_user, v1, accept=False, comment="  ")
    v1.refresh_from_db()
    assert v1.state == "submitted"

    services.review(province_user, v1, accept=False, comment="请补充地下管网改造进度")
    v1.refresh_from_db()
    assert v1.state == "returned" and v1.review_comment == "请补充地下管网改造进度" and v1.reviewed_by == province_user
    with pytest.raises(services.ReportError, match="不能报送"):
        services.submit(luoyang_admin, v1)

    v2 = services.generate(luoyang_admin, city, 2025, progress="补充了管网进度")
    assert v2.version == 2
    with pytest.raises(services.ReportError, match="不是最新版本"):
        services.submit(luoyang_admin, v1)
    # regenerating before submitting supersedes the unsent version
    v3 = services.generate(luoyang_admin, city, 2025)
    v2.refresh_from_db()
    assert v3.version == 3 and v2.state == "superseded"
    services.submit(luoyang_admin, v3)
    with audit.actor(province_user, "web"):  # what the web middleware does for a request
        services.review(province_user, v3, accept=True)
    assert v3.state == "accepted"
    with pytest.raises(services.ReportError, match="已被接收"):
        services.generate(luoyang_admin, city, 2025)
    # an on-demand report of the same year is its own series
    assert services.generate(luoyang_admin, city, 2025, "on_demand").version == 1

    entries = AuditLog.for_object(v3)
    assert {e.action for e in entries} == {"create", "update"}
    assert any(e.changes.get("state") == ["submitted", "accepted"] and e.user == province_user for e in entries)


def test_who_may_do_what(two_cities, luoyang_admin, province_user, city_admin, viewer):
    ly, zz = two_cities["luoyang"], two_cities["zhengzhou"]
    # Zhengzhou's city admin may not generate Luoyang's report, nor review (no province role)
    with pytest.raises(services.ReportError, match="无权生成洛阳市"):
        services.generate(city_admin, ly, 2025)
    # the province user reads but does not generate
    with pytest.raises(services.ReportError, match="无权生成"):
        services.generate(province_user, ly, 2025)
    report = services.generate(luoyang_admin, ly, 2025)
    with pytest.raises(services.ReportError, match="无权报送"):
        services.submit(province_user, report)
    services.submit(luoyang_admin, report)
    for user in (city_admin, viewer, luoyang_admin):  # a city's own users never review their reports
        with pytest.raises(services.ReportError, match="无权审核"):
            services.review(user, report, accept=True)
    assert ProgressReport.objects.get(pk=report.pk).state == "submitted"

    assert [c.code for c in services.readable_cities(province_user)] == ["410100", "410300"]
    assert [c.code for c in services.readable_cities(city_admin)] == ["410100"]
    assert [c.code for c in services.readable_cities(luoyang_admin)] == ["410300"]
    assert services.can_review(province_user, zz) and not services.can_review(AnonymousUser(), zz)
    # a superuser stands for the ministries: every city, may review, may not be refused a city
    minister = get_user_model().objects.create_superuser("buwei", password="pass-buwei")
    assert [c.code for c in services.readable_cities(minister)] == ["410100", "410300"]
    with audit.actor(minister, "web"):
        services.review(minister, report, accept=True)
    assert ProgressReport.objects.get(pk=report.pk).state == "accepted"


def test_inbox_items(two_cities, luoyang_admin, province_user, city_admin):
    from cityrenew.core.inbox import items_for

    report = services.generate(luoyang_admin, two_cities["luoyang"], 2025)
    assert not items_for(province_user)["to_review"]
    services.submit(luoyang_admin, report)
    assert [i.title for i in items_for(province_user)["to_review"]] == [str(report)]
    assert [i.title for i in items_for(luoyang_admin)["submitted"]] == [str(report)]
    assert not items_for(city_admin)["to_review"] and not items_for(city_admin)["submitted"]
    services.review(province_user, report, accept=False, comment="请补充")
    returned = items_for(luoyang_admin)["returned"]
    assert [(i.title, i.reason) for i in returned] == [(str(report), "请补充")]
    assert not items_for(province_user)["to_review"]
    services.generate(luoyang_admin, two_cities["luoyang"], 2025)  # version 2 replaces the returned one in the inbox
    assert not items_for(luoyang_admin)["returned"]


def test_texts_change_before_submission_only(two_cities, luoyang_admin, province_user):
    report = services.generate(luoyang_admin, two_cities["luoyang"], 2025, progress="初稿")
    with pytest.raises(services.ReportError, match="无权修改"):
        services.update_text(province_user, report, progress="省里改的")
    with pytest.raises(services.ReportError, match="「存在问题」超过 20000 字"):
        services.update_text(luoyang_admin, report, progress="改", problems="问" * 20001)
    report.refresh_from_db()
    assert report.progress == "初稿"  # nothing half-written
    services.update_text(luoyang_admin, report, progress=" 定稿 ", problems="资金缺口", practices="")
    report.refresh_from_db()
    assert (report.progress, report.problems) == ("定稿", "资金缺口")
    services.submit(luoyang_admin, report)
    with pytest.raises(services.ReportError, match="已报送的版本不能修改"):
        services.update_text(luoyang_admin, report, progress="偷偷改")
    with pytest.raises(services.ReportError, match="「工作进展」超过"):
        services.generate(luoyang_admin, two_cities["luoyang"], 2024, progress="进" * 20001)

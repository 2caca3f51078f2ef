"""Issue 12's parts as one product: the city's explicit finance approver, both release checks (performance and the
central-fund cap) blocking the finance approval with their Chinese reasons on the tranche page, and a province's
只读用户 reading funding, performance, central-fund applications and reports of every city under the province."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from cityrenew.core.models import AuditLog, Organisation, Region, RoleAssignment
from cityrenew.funding import services
from cityrenew.funding.models import FundingLine, FundingSettings, Tranche

pytestmark = pytest.mark.django_db


def _reviewer(username: str, org: Organisation):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=username, password=f"pass-{username}")
    RoleAssignment.objects.create(user=user, role="dept_reviewer", region=org.region, organisation=org)
    return user


def _district_approved(project, requester, district_approver, amount="1000", channel="central_finance"):
    t = services.request_tranche(requester, project, channel=channel, year=2025, amount_value=amount)
    services.decide(district_approver, t, approve=True, comment="同意")
    t.refresh_from_db()
    assert t.state == "district_approved"
    return t


def test_finance_approver_is_the_city_setting_not_a_name(client, plan, zhongyuan_editor, city_admin, viewer):
    zz = Region.objects.get(code="410100")
    caizheng = _reviewer("czj", Organisation.objects.create(name="郑州市财政局", kind="department", region=zz))
    # a finance approver named by the city, whose name says nothing of 财政
    bofu = _reviewer("jyj", Organisation.objects.create(name="郑州市资金拨付中心", kind="department", region=zz))
    t = _district_approved(plan, zhongyuan_editor, city_admin)

    # nothing set: a clear Chinese refusal, for the bureau with 财政 in its name too; nothing changes
    with pytest.raises(PermissionDenied, match="郑州市尚未指定审核拨付申请的财政部门：请市级管理员在「资金 › 财政审核部门」中指定"):
        services.decide(caizheng, t, approve=True)
    client.force_login(city_admin)  # the tranche page says so to its readers
    r = client.get(f"/funding/tranches/{t.pk}/")
    assert "郑州市尚未指定审核拨付申请的财政部门" in r.content.decode()
    t.refresh_from_db()
    assert t.state == "district_approved" and t.reviews.count() == 1

    # the settings page: a viewer may read it, not change it
    client.force_login(viewer)
    assert client.get("/funding/settings/").status_code == 200
    r = client.post("/funding/settings/", {"city": zz.pk, "finance_organisations": [_org_of(bofu)]})
    assert r.status_code == 403 and "只有本市的市级管理员可以修改" in r.content.decode()
    assert not FundingSettings.objects.exists()

    # the 市级管理员 names 郑州市资金拨付中心 (audited): its reviewer approves, the 财政局's no longer qualifies by name
    client.force_login(city_admin)
    r = client.post("/funding/settings/", {"city": zz.pk, "finance_organisations": [_org_of(bofu)]})
    assert r.status_code == 302
    conf = FundingSettings.objects.get(city=zz)
    assert [o.name for o in conf.finance_organisations.all()] == ["郑州市资金拨付中心"]
    entries = AuditLog.for_object(conf)
    assert entries.exists() and entries.filter(user=city_admin).exists()
    with pytest.raises(PermissionDenied, match="须由本市指定的财政审核部门的部门审核员办理"):
        services.decide(caizheng, t, approve=True)
    services.decide(bofu, t, approve=True, comment="同意拨付")
    t.refresh_from_db()
    assert t.state == "approved"


def _org_of(user) -> int:
    return RoleAssignment.objects.get(user=user).organisation_id


def test_both_release_checks_block_the_finance_approval_with_their_reasons(client, project, zhongyuan_editor,
                                                                          city_admin, finance_user, file_annual):
    """No filed 2025 annual performance table, and 15 亿元 above 河南省's cap (中部, 10 亿元): both reasons shown."""
    FundingLine.objects.create(project=project, channel="central_finance", year=2025, planned=Decimal("300000"))
    t = _district_approved(project, zhongyuan_editor, city_admin, amount="150000")
    client.force_login(finance_user)
    page = client.get(f"/funding/tranches/{t.pk}/").content.decode()
    assert "2025 年度绩效目标表尚未盖章备案" in page
    assert "超过中部地区每个城市补助总额上限 10 亿元" in page
    r = client.post(f"/funding/tranches/{t.pk}/", {"decision": "approve", "comment": "同意"})
    body = r.content.decode()
    assert r.status_code == 400
    assert "暂不能拨付：" in body and "2025 年度绩效目标表尚未盖章备案" in body and "补助总额上限 10 亿元" in body
    t.refresh_from_db()
    assert t.state == "district_approved" and t.reviews.count() == 1

    # exactly the cap (10 亿元 = 100000 万元) with the table filed passes
    file_annual(project.city, 2025)
    t2 = _district_approved(project, zhongyuan_editor, city_admin, amount="100000")
    services.decide(finance_user, t2, approve=True)
    t2.refresh_from_db()
    assert t2.state == "approved"
    with pytest.raises(services.FundingError, match="补助总额上限 10 亿元"):
        services.decide(finance_user, t, approve=True)  # 15 亿元 more would exceed it


def test_province_viewer_reads_every_city(client, plan, performance_filed, file_annual):
    """河南省's 只读用户 (the reports demo's shengting) reads 郑州市's and 洛阳市's funding, performance, central-fund
    applications and reports, on the pages and the API."""
    from django.contrib.auth import get_user_model

    from cityrenew.centralfund.models import Application
    from cityrenew.reports import demo
    from cityrenew.reports.models import ProgressReport

    demo.load()  # 洛阳市, its records and its submitted 2025 report; the province user
    zz, ly = Region.objects.get(code="410100"), Region.objects.get(code="410300")
    shengting = get_user_model().objects.get(username="shengting")
    assert RoleAssignment.objects.get(user=shengting).region.level == "province"
    ly_line = FundingLine.objects.filter(project__city=ly).select_related("project").first()
    assert ly_line is not None
    zz_table, ly_table = performance_filed, file_annual(ly, 2025)
    apps = [Application.objects.create(city=zz, year=2025), Application.objects.create(city=ly, year=2026)]
    report = ProgressReport.objects.get(city=ly)

    client.force_login(shengting)
    lines = client.get("/funding/").content.decode()
    assert plan.code in lines and ly_line.project.code in lines
    for url in (f"/funding/projects/{plan.code}/", f"/funding/projects/{ly_line.project.code}/",
                f"/funding/performance/{zz_table.pk}/", f"/funding/performance/{ly_table.pk}/",
                *(f"/funding/central/applications/{a.pk}/" for a in apps), f"/reports/{report.pk}/"):
        assert client.get(url).status_code == 200, url
    api_lines = client.get("/api/funding/lines/?limit=500").json()
    projects = {row["project"] for row in api_lines.get("results", api_lines)}
    assert plan.code in projects and ly_line.project.code in projects
    api_tables = client.get("/api/performance/tables/").json()
    assert {row["city"] for row in api_tables.get("results", api_tables)} >= {zz.pk, ly.pk}
    api_apps = client.get("/api/centralfund/applications/").json()
    assert {row["id"] for row in api_apps.get("results", api_apps)} == {a.pk for a in apps}
    api_reports = client.get("/api/reports/").json()
    assert report.pk in {row["id"] for row in api_reports.get("results", api_reports)}
    # reading is all: the province viewer changes nothing
    assert client.post(f"/funding/projects/{plan.code}/tranches/new/", {"channel": "central_finance", "year": 2025,
                                                                        "amount": "1"}).status_code == 403
    assert not Tranche.objects.exists()


def test_settings_page_for_a_province_user_lists_its_cities(client, regions):
    """The province's 只读用户 sees each city's finance approvers (郑州市: none yet, said in Chinese), changes none."""
    from django.contrib.auth import get_user_model

    from cityrenew.reports import demo

    demo.load(report=False)
    ly = Region.objects.get(code="410300")
    client.force_login(get_user_model().objects.get(username="shengting"))
    page = client.get("/funding/settings/").content.decode()
    assert "郑州市" in page and "洛阳市" in page and "尚未指定审核拨付申请的财政部门" in page
    page = client.get(f"/funding/settings/?city={ly.pk}").content.decode()
    assert "洛阳市尚未指定审核拨付申请的财政部门" in page and 'data-testid="settings-form"' not in page
    assert client.post("/funding/settings/", {"city": ly.pk}).status_code == 403
    assert not FundingSettings.objects.exists()

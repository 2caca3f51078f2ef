"""The funding pages through the test client: plan lines, tranche requests, decisions, permissions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cityrenew.core.models import AuditLog
from cityrenew.funding.models import FundingLine, Tranche, TrancheAttachment

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def client_for(client, user):
    client.force_login(user)
    return client


def test_add_a_plan_line_and_see_totals_and_history(client, project, zhongyuan_editor):
    c = client_for(client, zhongyuan_editor)
    url = f"/funding/lines/new/?project={project.code}"
    assert c.get(url).status_code == 200
    r = c.post(url, {"project_code": project.code, "channel": "central_finance", "year": "2025", "planned": "3000",
                     "received": "1200.5", "spent": "0", "note": "首批"})
    assert r.status_code == 302 and r["Location"] == f"/funding/projects/{project.code}/"
    line = FundingLine.objects.get()
    assert (line.planned, line.received) == (Decimal("3000"), Decimal("1200.5"))
    page = c.get(r["Location"]).content.decode()
    assert "3000" in page and "1200.5" in page and "首批" in page
    assert AuditLog.for_object(line).get().user == zhongyuan_editor
    assert "zyeditor" in page or "中原区编辑" in page  # the plan's change history names who


@pytest.mark.parametrize("field", ["planned", "received", "spent"])
def test_a_negative_amount_is_refused_in_chinese_nothing_saved(client, project, zhongyuan_editor, field):
    c = client_for(client, zhongyuan_editor)
    data = {"project_code": project.code, "channel": "central_finance", "year": "2025", "planned": "1", "received": "0",
            "spent": "0", field: "-5"}
    r = c.post(f"/funding/lines/new/?project={project.code}", data)
    assert r.status_code == 400
    assert "不能为负数（填写的是 -5 万元）" in r.content.decode()
    assert FundingLine.objects.count() == 0


def test_a_second_line_for_the_same_channel_and_year_is_refused(client, plan, zhongyuan_editor):
    c = client_for(client, zhongyuan_editor)
    r = c.post(f"/funding/lines/new/?project={plan.code}", {"project_code": plan.code, "channel": "central_finance",
                                                            "year": "2025", "planned": "1", "received": "0", "spent": "0"})
    assert r.status_code == 400 and "已有 2025 年“中央财政城市更新补助资金”的资金计划" in r.content.decode()
    assert FundingLine.objects.count() == 2


def test_an_editor_of_another_district_and_a_viewer_may_not_plan(client, project, erqi_editor, viewer):
    for user in (erqi_editor, viewer):
        c = client_for(client, user)
        r = c.post(f"/funding/lines/new/?project={project.code}", {"project_code": project.code, "channel": "resident",
                                                                   "year": "2025", "planned": "1"})
        assert r.status_code == 403
    assert FundingLine.objects.count() == 0
    # the viewer reads the funding page; the other district's editor reads nothing of it
    assert client_for(client, viewer).get(f"/funding/projects/{project.code}/").status_code == 200
    assert client_for(client, erqi_editor).get(f"/funding/projects/{project.code}/").status_code == 403


def test_the_project_page_flags_double_funding_with_its_citation(client, plan, viewer):
    FundingLine.objects.create(project=plan, channel="treasury_bond", year=2025, planned=Decimal("500"))
    page = client_for(client, viewer).get(f"/funding/projects/{plan.code}/").content.decode()
    assert 'data-testid="double-funding-flag"' in page and "超长期特别国债" in page
    assert "财办建〔2025〕11号" in page and "四、（二）" in page
    listing = client.get("/funding/double-funding/").content.decode()
    assert f'data-code="{plan.code}"' in listing


def test_request_a_tranche_too_large_is_refused_then_a_fitting_one_passes_two_approvals(
        client, plan, entity_user, zhongyuan_editor, finance_user, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    c = client_for(client, entity_user)
    url = f"/funding/projects/{plan.code}/tranches/new/"
    r = c.post(url, {"channel": "central_finance", "year": "2025", "amount": "3500", "purpose": "工程款"})
    assert r.status_code == 400
    assert "申请金额 3500 万元超过资金计划剩余额度" in r.content.decode()
    r = c.post(url, {"channel": "central_finance", "year": "2025", "amount": "-1"})
    assert r.status_code == 400 and "申请金额不能为负数" in r.content.decode()
    assert Tranche.objects.count() == 0
    r = c.post(url, {"channel": "central_finance", "year": "2025", "amount": "1000", "purpose": "工程款",
                     "attachments": [SimpleUploadedFile("进度证明.pdf", PDF, "application/pdf")]})
    assert r.status_code == 302
    t = Tranche.objects.get()
    assert t.attachments.get().filename == "进度证明.pdf"

    # the district editor finds it in the inbox and the queue, and approves
    c = client_for(client, zhongyuan_editor)
    assert f"/funding/tranches/{t.pk}/" in c.get("/inbox/").content.decode()
    assert f'data-pk="{t.pk}"' in c.get("/funding/tranches/?mine=1").content.decode()
    r = c.post(f"/funding/tranches/{t.pk}/", {"decision": "approve", "comment": "同意"})
    assert r.status_code == 302
    t.refresh_from_db()
    assert t.state == "district_approved"
    # the district editor is done: no second approval by the same person
    assert c.post(f"/funding/tranches/{t.pk}/", {"decision": "approve"}).status_code == 403

    c = client_for(client, finance_user)
    assert f'data-pk="{t.pk}"' in c.get("/funding/tranches/?mine=1").content.decode()
    r = c.post(f"/funding/tranches/{t.pk}/", {"decision": "approve", "comment": "同意拨付",
                                               "attachments": [SimpleUploadedFile("审核意见.pdf", PDF, "application/pdf")]})
    assert r.status_code == 302
    t.refresh_from_db()
    assert t.state == "approved" and t.reviews.last().attachments.count() == 1
    # the attachment is served to readers of the project only
    att = TrancheAttachment.objects.filter(review__isnull=True).get()
    assert c.get(att.file.url).status_code == 200


def test_a_return_without_reason_is_refused(client, plan, zhongyuan_editor, city_admin):
    t = Tranche.objects.create(project=plan, channel="central_finance", year=2025, amount=Decimal("10"),
                               requested_by=zhongyuan_editor)
    r = client_for(client, city_admin).post(f"/funding/tranches/{t.pk}/", {"decision": "reject", "comment": ""})
    assert r.status_code == 400 and "退回时必须写明退回原因" in r.content.decode()
    t.refresh_from_db()
    assert t.state == "requested" and t.reviews.count() == 0


def test_an_html_attachment_is_refused(client, plan, zhongyuan_editor, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    r = client_for(client, zhongyuan_editor).post(
        f"/funding/projects/{plan.code}/tranches/new/",
        {"channel": "central_finance", "year": "2025", "amount": "1",
         "attachments": [SimpleUploadedFile("a.html", b"<html><script>1</script></html>", "text/html")]})
    assert r.status_code == 400 and "不支持的文件类型" in r.content.decode()
    assert Tranche.objects.count() == 0


def test_list_export_and_menu(client, plan, viewer):
    c = client_for(client, viewer)
    page = c.get("/funding/").content.decode()
    assert "资金" in page and "K202201005" in page and "4500" in page  # totals of the list
    r = c.get("/funding/?export=xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_project_page_links_to_its_funding(client, project, viewer):
    page = client_for(client, viewer).get(f"/projects/{project.code}/").content.decode()
    assert f'href="/funding/projects/{project.code}/"' in page

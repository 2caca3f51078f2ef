"""Pages, API, field rules, inbox, map layer and attachments of implementation plans, through the
test client (real database, real files)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cityrenew.core import inbox
from cityrenew.core.choices import InboxGroup
from cityrenew.core.models import AuditLog
from cityrenew.plans import services, workflow
from cityrenew.plans.choices import MaterialKind
from cityrenew.plans.choices import PlanState as S
from cityrenew.plans.models import ImplementationPlan

from .conftest import approve, pass_notice, to_submitted, upload

pytestmark = pytest.mark.django_db


def _client(client, user):
    client.force_login(user)
    return client


def test_list_filters_and_export(client, plan, zhongyuan_editor, project, entity_org):
    from cityrenew.core.models import Region

    ImplementationPlan.objects.create(code="FA-T-002", title="第二个方案", project=project, entity=entity_org,
                                      district=Region.objects.get(code="410102"), state=S.SUBMITTED)
    c = _client(client, zhongyuan_editor)
    page = c.get(reverse("plans:plan_list"))
    assert page.status_code == 200 and "FA-T-001" in page.content.decode() and "FA-T-002" in page.content.decode()
    only = c.get(reverse("plans:plan_list"), {"state": "submitted"}).content.decode()
    assert "FA-T-002" in only and "FA-T-001" not in only
    resp = c.get(reverse("plans:plan_list"), {"export": "xlsx", "q": "第二"})
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:2] == ("方案编号", "方案名称") and [r[0] for r in rows[1:]] == ["FA-T-002"]
    assert rows[1][6] == "已报送"


def test_entity_sees_only_its_own_plans(client, plan, other_entity_user, entity_user):
    c = _client(client, other_entity_user)
    assert "FA-T-001" not in c.get(reverse("plans:plan_list")).content.decode()
    assert c.get(plan.get_absolute_url()).status_code == 404
    assert c.get("/api/plans/FA-T-001/").status_code == 404
    c = _client(client, entity_user)
    assert c.get(plan.get_absolute_url()).status_code == 200
    assert c.get("/").url == reverse("plans:plan_list")  # an entity starts from its plans


def test_detail_shows_only_allowed_moves_and_citations(client, plan, entity_user, zhongyuan_editor):
    to_submitted(plan, entity_user)
    entity_page = _client(client, entity_user).get(plan.get_absolute_url()).content.decode()
    assert 'data-testid="move-pre_review"' not in entity_page and 'data-testid="move-withdrawn"' in entity_page
    assert "第六条" in entity_page and "北京市城市更新实施方案联合审查管理办法" in entity_page
    authority_page = _client(client, zhongyuan_editor).get(plan.get_absolute_url()).content.decode()
    assert 'data-testid="move-pre_review"' in authority_page and 'data-testid="move-withdrawn"' not in authority_page
    assert "第八条" in authority_page  # the timeline cites the move 修改后重新报送 / 报送 articles


def test_transition_through_page_refused_in_chinese(client, plan, entity_user):
    c = _client(client, entity_user)
    workflow.transition(plan, S.CONSULTATION, user=entity_user)
    workflow.transition(plan, S.CONSENTED, user=entity_user)
    resp = c.post(reverse("plans:plan_transition", args=[plan.code]), {"target": S.SUBMITTED}, follow=True)
    assert "申报材料不全" in resp.content.decode()
    plan.refresh_from_db()
    assert plan.state == S.CONSENTED
    resp = c.post(reverse("plans:plan_transition", args=[plan.code]), {"target": S.PRE_REVIEW}, follow=True)
    assert "不能变更为" in resp.content.decode()
    plan.refresh_from_db()
    assert plan.state == S.CONSENTED


def test_upload_version_and_material_through_page(client, plan, entity_user, other_entity_user, media_root):
    c = _client(client, entity_user)
    resp = c.post(reverse("plans:plan_version_add", args=[plan.code]), {"document": upload(), "change_note": "初稿"}, follow=True)
    assert "已上传FA-T-001 第1版" in resp.content.decode()
    v = plan.versions.get()
    assert (media_root / v.document.name).is_file()
    assert c.get(v.document.url).status_code == 200
    # the file is served only to those who read the plan
    assert _client(client, other_entity_user).get(v.document.url).status_code == 403
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = _client(client, entity_user)
    bad = c.post(reverse("plans:plan_material_add", args=[plan.code]),
                 {"kind": MaterialKind.APPLICATION, "file": SimpleUploadedFile("申请书.pdf", b"MZ\x90\x00 program")}, follow=True)
    assert plan.materials.count() == 0 and "内容是可执行程序或脚本" in bad.content.decode()
    good = c.post(reverse("plans:plan_material_add", args=[plan.code]),
                  {"kind": MaterialKind.APPLICATION, "file": upload("申请书.docx")}, follow=True)
    assert "已上传申报材料：实施方案联合审查申请书" in good.content.decode() and plan.materials.count() == 1


def test_revision_request_and_response_pages(client, plan, entity_user, zhongyuan_editor):
    to_submitted(plan, entity_user)
    workflow.transition(plan, S.PRE_REVIEW, user=zhongyuan_editor)
    c = _client(client, entity_user)
    denied = c.post(reverse("plans:plan_revision_request", args=[plan.code]), {"items": "补充A"})
    assert denied.status_code == 403 and "第八条" in denied.content.decode()
    c = _client(client, zhongyuan_editor)
    c.post(reverse("plans:plan_revision_request", args=[plan.code]), {"items": "补充A\n\n补充B\n", "note": "请完善"})
    plan.refresh_from_db()
    assert plan.state == S.REVISION
    items = list(plan.revision_requests.get().items.all())
    assert [i.text for i in items] == ["补充A", "补充B"]
    # the entity's inbox lists it as returned, with the items
    groups = inbox.items_for(entity_user)
    returned = [i for i in groups[InboxGroup.RETURNED] if "FA-T-001" in i.title]
    assert returned and "1. 补充A" in returned[0].reason
    c = _client(client, entity_user)
    c.post(reverse("plans:plan_revision_respond", args=[plan.code, items[0].pk]), {"response": "已补充A"})
    items[0].refresh_from_db()
    assert items[0].response == "已补充A" and items[0].responded_by == entity_user


def test_field_rules_on_the_edit_page(client, plan, entity_user, zhongyuan_editor):
    c = _client(client, entity_user)
    resp = c.post(reverse("plans:plan_edit", args=[plan.code]),
                  {"title": "新名称", "summary": "新概要", "category": "area", "code": "HACK", "row_version": plan.row_version,
                   "expert_review_required": "on"})
    assert resp.status_code == 302
    plan.refresh_from_db()
    assert plan.title == "新名称" and plan.code == "FA-T-001" and not plan.expert_review_required
    assert AuditLog.objects.filter(object_id=str(plan.pk), content_type__model="implementationplan", action="update").exists()
    history = c.get(reverse("plans:plan_history", args=[plan.code]))
    assert history.status_code == 200 and "新名称" in history.content.decode()
    to_submitted(plan, entity_user)
    refused = c.get(reverse("plans:plan_edit", args=[plan.code]))
    assert refused.status_code == 403 and "退回修改" in refused.content.decode()
    # the authority decides about the expert review
    c = _client(client, zhongyuan_editor)
    form = c.get(reverse("plans:plan_edit", args=[plan.code]))
    assert form.status_code == 200
    plan.refresh_from_db()
    c.post(reverse("plans:plan_edit", args=[plan.code]), {"title": plan.title, "summary": plan.summary, "category": plan.category,
                                                          "expert_review_required": "on", "row_version": plan.row_version})
    plan.refresh_from_db()
    assert plan.expert_review_required


def test_create_page_entity_own_organisation_only(client, project, entity_user, entity_org, other_org):
    c = _client(client, entity_user)
    from cityrenew.core.models import Region

    zy, eq = Region.objects.get(code="410102"), Region.objects.get(code="410103")
    data = {"code": "FA-T-009", "title": "新方案", "project": project.pk, "district": zy.pk, "entity": other_org.pk,
            "category": "other", "summary": "概要"}
    resp = c.post(reverse("plans:plan_add"), data)
    assert resp.status_code == 400 and not ImplementationPlan.objects.filter(code="FA-T-009").exists()
    resp = c.post(reverse("plans:plan_add"), {**data, "entity": entity_org.pk, "district": eq.pk})
    assert resp.status_code == 400 and "超出您的授权区划范围" in resp.content.decode()
    resp = c.post(reverse("plans:plan_add"), {**data, "entity": entity_org.pk})
    assert resp.status_code == 302
    made = ImplementationPlan.objects.get(code="FA-T-009")
    assert made.created_by == entity_user and made.state == S.DRAFTING and made.entity == entity_org


def test_create_page_district_must_be_the_projects(client, project, city_admin, entity_org):
    from cityrenew.core.models import Region

    resp = _client(client, city_admin).post(reverse("plans:plan_add"), {
        "code": "FA-T-012", "title": "新方案", "project": project.pk, "district": Region.objects.get(code="410103").pk,
        "entity": entity_org.pk, "category": "other"})
    assert resp.status_code == 400 and "所在区必须是项目K202601001的所在区域之一：中原区" in resp.content.decode()
    assert not ImplementationPlan.objects.filter(code="FA-T-012").exists()


def test_api_read_create_transition(client, plan, entity_user, zhongyuan_editor, project, entity_org):
    c = _client(client, entity_user)
    listed = c.get("/api/plans/").json()
    assert [p["code"] for p in listed["results"]] == ["FA-T-001"]
    made = c.post("/api/plans/", {"code": "FA-T-010", "title": "接口方案", "project": project.pk, "district": plan.district_id,
                                  "entity": entity_org.pk}, content_type="application/json")
    assert made.status_code == 201, made.content
    sneaky = c.post("/api/plans/", {"code": "FA-T-011", "title": "x", "project": project.pk, "district": plan.district_id,
                                    "entity": entity_org.pk, "expert_review_required": True}, content_type="application/json")
    assert sneaky.status_code == 403 and "需专家评审" in sneaky.json()["detail"]
    state = c.patch("/api/plans/FA-T-001/", {"state": "approved"}, content_type="application/json")
    assert state.status_code in (400, 403)
    plan.refresh_from_db()
    assert plan.state == S.DRAFTING
    ok = c.post("/api/plans/FA-T-001/transition/", {"target": "consultation", "note": "开始征询"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["state"] == "consultation"
    assert ok.json()["transitions"][-1]["citation"].endswith("第五条")
    bad = c.post("/api/plans/FA-T-001/transition/", {"target": "approved"}, content_type="application/json")
    assert bad.status_code == 400 and "不能变更为" in bad.json()["detail"]
    c.post("/api/plans/FA-T-001/transition/", {"target": "consented"}, content_type="application/json")
    moves = {m["target"]: m for m in c.get("/api/plans/FA-T-001/").json()["moves"]}
    assert set(moves) == {"submitted", "withdrawn"} and moves["withdrawn"]["blocked"] == ""
    assert "申报材料不全" in moves["submitted"]["blocked"] and moves["submitted"]["citation"].endswith("第六条")
    refused = c.post("/api/plans/FA-T-001/transition/", {"target": "submitted"}, content_type="application/json")
    assert refused.status_code == 400 and "申报材料不全" in refused.json()["detail"]
    plan.refresh_from_db()
    assert plan.state == S.CONSENTED
    services.add_material(plan, MaterialKind.APPLICATION, upload("a.docx"), user=entity_user)
    services.add_material(plan, MaterialKind.LICENCE, upload("b.docx"), user=entity_user)
    plan.state = S.DRAFTING
    services.add_version(plan, upload(), user=entity_user)
    plan.refresh_from_db()
    assert c.post("/api/plans/FA-T-001/transition/", {"target": "submitted"}, content_type="application/json").status_code == 200
    forbidden = c.post("/api/plans/FA-T-001/transition/", {"target": "pre_review"}, content_type="application/json")
    assert forbidden.status_code == 403 and "您无权" in forbidden.json()["detail"]
    a = _client(client, zhongyuan_editor)
    assert a.post("/api/plans/FA-T-001/transition/", {"target": "pre_review"}, content_type="application/json").status_code == 200
    no_items = a.post("/api/plans/FA-T-001/transition/", {"target": "revision"}, content_type="application/json")
    assert no_items.status_code == 400 and "至少列出一项" in no_items.json()["detail"]
    ret = a.post("/api/plans/FA-T-001/transition/", {"target": "revision", "items": ["补充测算"]}, content_type="application/json")
    assert ret.status_code == 200 and ret.json()["state"] == "revision"


def test_authority_inbox_and_menu(client, plan, entity_user, zhongyuan_editor, erqi_editor):
    to_submitted(plan, entity_user)
    mine = [i for i in inbox.items_for(zhongyuan_editor)[InboxGroup.TO_REVIEW] if "FA-T-001" in i.title]
    assert mine and "受理" in mine[0].detail
    assert not [i for i in inbox.items_for(erqi_editor)[InboxGroup.TO_REVIEW] if "FA-T-001" in i.title]
    waiting = [i for i in inbox.items_for(entity_user)[InboxGroup.SUBMITTED] if "FA-T-001" in i.title]
    assert waiting
    home = _client(client, entity_user).get(reverse("plans:plan_list")).content.decode()
    assert 'href="/plans/"' in home and 'href="/projects/"' not in home


def test_map_layer(client, plan, zhongyuan_editor, other_entity_user):
    resp = _client(client, zhongyuan_editor).get("/map/layers/plans.geojson")
    assert resp.status_code == 200
    [f] = resp.json()["features"]
    assert f["geometry"]["coordinates"] == [113.6, 34.75]
    assert f["properties"]["code"] == "FA-T-001" and f["properties"]["state_label"] == "编制中"
    assert f["properties"]["url"] == "/plans/FA-T-001/"
    # an entity sees only its own organisation's plans on the map too
    assert _client(client, other_entity_user).get("/map/layers/plans.geojson").json()["features"] == []


def test_public_document_only_from_the_notice_on(client, plan, entity_user, zhongyuan_editor):
    services.add_version(plan, upload("方案.docx", "公开的方案文本"), user=entity_user)
    url = reverse("plans_public:document", args=[plan.code])
    assert client.get(url).status_code == 404  # drafting: not public, even to anonymous visitors
    plan.refresh_from_db()
    for target in (S.CONSULTATION, S.CONSENTED):
        workflow.transition(plan, target, user=entity_user)
    services.add_material(plan, MaterialKind.APPLICATION, upload("a.docx"), user=entity_user)
    services.add_material(plan, MaterialKind.LICENCE, upload("b.docx"), user=entity_user)
    workflow.transition(plan, S.SUBMITTED, user=entity_user)
    for target in (S.PRE_REVIEW, S.JOINT_REVIEW):
        workflow.transition(plan, target, user=zhongyuan_editor)
    approve(plan, zhongyuan_editor)
    assert client.get(url).status_code == 404  # approved, not yet noticed
    from cityrenew.notices.services import publish

    publish(plan, user=zhongyuan_editor)
    client.logout()
    resp = client.get(url)
    assert resp.status_code == 200 and resp["X-Content-Type-Options"] == "nosniff"
    body = b"".join(resp.streaming_content)
    from docx import Document

    assert Document(io.BytesIO(body)).paragraphs[0].text == "公开的方案文本"


def test_land_dates_and_reminders(client, plan, entity_user, zhongyuan_editor, settings):
    import datetime as dt

    from cityrenew.plans.choices import PermitKind
    from cityrenew.workdays.clock import today as platform_today

    c = _client(client, entity_user)
    early = c.patch("/api/plans/FA-T-001/", {"land_first_done": "2026-08-01"}, content_type="application/json")
    assert early.status_code == 400 and "公示期满后填写" in str(early.json())
    to_submitted(plan, entity_user)
    for target in (S.PRE_REVIEW, S.JOINT_REVIEW):
        workflow.transition(plan, target, user=zhongyuan_editor)
    approve(plan, zhongyuan_editor)
    pass_notice(plan, zhongyuan_editor, settings)
    # the opinion two years minus 30 days ago: the first-phase deadline is within the reminder window
    today = platform_today()
    plan.opinion_date = dt.date(today.year - 2, today.month, min(today.day, 28)) + dt.timedelta(days=30)
    plan.save()
    due = services.land_deadlines(plan)[0].due
    reminders = [i for i in inbox.items_for(entity_user)[InboxGroup.TO_FILL] if "首期用地手续" in i.detail]
    assert len(reminders) == 1 and reminders[0].deadline == due
    services.record_permit(plan, user=entity_user, kind=PermitKind.LAND, name="国有建设用地划拨决定书", issued_on=today)
    workflow.transition(plan, S.LAND, user=entity_user)
    plan.refresh_from_db()
    page = c.get(reverse("plans:plan_edit", args=[plan.code]))
    assert page.status_code == 200
    resp = c.post(reverse("plans:plan_edit", args=[plan.code]), {
        "title": plan.title, "summary": plan.summary, "category": plan.category, "row_version": plan.row_version,
        "land_first_done": plan.opinion_date.isoformat()})
    assert resp.status_code == 302
    plan.refresh_from_db()
    assert plan.land_first_done == plan.opinion_date and plan.title == "测试实施方案"
    assert not [i for i in inbox.items_for(entity_user)[InboxGroup.TO_FILL] if "首期用地手续" in i.detail]
    # content is locked after the notice: a changed title is ignored (field disabled)
    c.post(reverse("plans:plan_edit", args=[plan.code]), {"title": "改名", "summary": plan.summary, "category": plan.category,
                                                          "row_version": plan.row_version})
    plan.refresh_from_db()
    assert plan.title == "测试实施方案"


def test_two_authorities_racing_one_wins(client, plan, entity_user, zhongyuan_editor, city_admin):
    """Both load the submitted plan; the first accepts it, the second's stale copy is refused (409), nothing doubled."""
    from cityrenew.plans.models import ImplementationPlan as P

    to_submitted(plan, entity_user)
    first, second = P.objects.get(pk=plan.pk), P.objects.get(pk=plan.pk)
    workflow.transition(first, S.PRE_REVIEW, user=zhongyuan_editor)
    from cityrenew.core.models import StaleObjectError

    with pytest.raises(StaleObjectError):
        workflow.transition(second, S.PRE_REVIEW, user=city_admin)
    assert plan.transitions.filter(to_state=S.PRE_REVIEW).count() == 1


def test_return_refused_in_wrong_state_writes_nothing(client, plan, entity_user, zhongyuan_editor):
    from cityrenew.plans.models import RevisionItem, RevisionRequest

    to_submitted(plan, entity_user)  # 已报送: not yet accepted, so no return with items
    before = AuditLog.objects.count()
    resp = _client(client, zhongyuan_editor).post(reverse("plans:plan_revision_request", args=[plan.code]),
                                                  {"items": "补充A"}, follow=True)
    assert "不能变更为“退回修改”" in resp.content.decode()
    assert not RevisionRequest.objects.exists() and not RevisionItem.objects.exists()
    assert AuditLog.objects.count() == before
    plan.refresh_from_db()
    assert plan.state == S.SUBMITTED


def test_entity_create_form_offers_its_districts_only(client, project, entity_user):
    from cityrenew.core.models import Region
    from cityrenew.projects.models import RenewalProject

    other = RenewalProject.objects.create(code="K202601099", name="二七区项目", city=Region.objects.get(code="410100"),
                                          total_investment=1)
    other.districts.set([Region.objects.get(code="410103")])
    html = _client(client, entity_user).get(reverse("plans:plan_add")).content.decode()
    assert "K202601001" in html and "K202601099" not in html
    assert ">中原区<" in html and ">二七区<" not in html


def test_audit_entries_of_plans_follow_who_reads_them(client, plan, entity_user, other_entity_user, viewer):
    from cityrenew.core.permissions import visible_audit

    services.add_version(plan, upload(), user=entity_user)
    mine = visible_audit(entity_user).filter(content_type__app_label="plans")
    assert mine.filter(content_type__model="planversion").count() == 1 and mine.filter(content_type__model="implementationplan").exists()
    assert not visible_audit(other_entity_user).filter(content_type__app_label="plans").exists()
    assert visible_audit(viewer).filter(content_type__app_label="plans").count() == mine.count()


def test_plan_page_shows_review_notices_and_votes_and_publishes_through_the_notice_page(client, plan, entity_user,
                                                                                         zhongyuan_editor, viewer):
    from cityrenew.notices.models import Notice

    to_submitted(plan, entity_user)
    for target in (S.PRE_REVIEW, S.JOINT_REVIEW):
        workflow.transition(plan, target, user=zhongyuan_editor)
    approve(plan, zhongyuan_editor)
    url = reverse("plans:plan_detail", args=[plan.code])
    client.force_login(zhongyuan_editor)
    html = client.get(url).content.decode()
    assert 'data-testid="plan-review"' in html and "第1轮" in html and 'data-testid="plan-notices"' in html
    assert 'data-testid="plan-votes"' in html and "新建业主表决" in html
    # 公示中 only through the notice page (period, frozen content): a link there, no bare move
    assert f'href="/plans/notices/new/{plan.pk}/"' in html and 'data-testid="move-notice"' not in html
    r = client.post(reverse("plans:plan_transition", args=[plan.code]), {"target": S.NOTICE})
    plan.refresh_from_db()
    assert plan.state == S.APPROVED and not Notice.objects.exists() and r.status_code in (302, 400)
    client.force_login(viewer)  # a reader sees the parts, not the buttons
    html = client.get(url).content.decode()
    assert 'data-testid="plan-votes"' in html and "新建业主表决" not in html and "/plans/notices/new/" not in html

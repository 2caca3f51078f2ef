"""Pages and API of the joint review through Django's test client on a real database."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cityrenew.core.models import AuditLog
from cityrenew.plans.choices import PlanState
from cityrenew.review import services
from cityrenew.review.choices import Opinion, RoundStatus
from cityrenew.review.models import ReviewDepartment, ReviewSettings
from tests.review.conftest import revise

pytestmark = pytest.mark.django_db


def _client(client, user):
    client.force_login(user)
    return client


def test_department_queue_lists_only_its_own_items(client, review_scene):
    c = _client(client, review_scene["users"]["housing"])
    resp = c.get(reverse("review:record_list"))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "更新改造空间利用情况" in html and "规划、用地与产权" not in html
    assert "联合审查" in html  # the menu entry
    rec = services.open_round(review_scene["plan"]).records.get(item_key="planning_land")
    assert c.get(reverse("review:record_detail", args=[rec.pk])).status_code == 404
    # the authority's export of the whole list (xlsx), filtered to the pending items
    from openpyxl import load_workbook

    a = _client(client, review_scene["authority"])
    resp = a.get(reverse("review:record_list"), {"state": "pending", "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("实施方案", "审查事项", "审查部门") and len(rows) == 10
    assert any(r[1] == "规划、用地与产权" and r[5] == "待出具" and r[7] == "第十二条（三）" for r in rows[1:])


def test_opinion_form_refusals_and_success(client, review_scene):
    rec = services.open_round(review_scene["plan"]).records.get(item_key="planning_land")
    url = reverse("review:record_detail", args=[rec.pk])
    c = _client(client, review_scene["users"]["planning"])
    page = c.get(url).content.decode()
    assert "第十二条（三）" in page and 'data-testid="opinion-form"' in page and "未设期限" in page
    resp = c.post(url, {"opinion": "conditional", "conditions": ""})
    assert resp.status_code == 400 and "“有条件同意”须写明同意的条件" in resp.content.decode()
    rec.refresh_from_db()
    assert rec.opinion == "" and rec.row_version == 1
    resp = c.post(url, {"opinion": "disagree", "reasons": "用地保障方案缺少权属证明",
                        "files": [SimpleUploadedFile("规划意见.pdf", b"%PDF-1.7\n1 0 obj\n")]}, follow=True)
    assert resp.status_code == 200
    rec.refresh_from_db()
    assert rec.opinion == Opinion.DISAGREE and rec.reasons == "用地保障方案缺少权属证明"
    att = rec.attachments.get()
    assert "规划意见.pdf" in resp.content.decode()
    assert c.get(att.file.url).status_code == 200  # served to the department that gave it
    client.force_login(review_scene["users"]["housing"])
    assert client.get(att.file.url).status_code in (403, 404)


def test_opinion_from_a_department_outside_the_matrix_is_refused_on_the_page_and_the_api(client, review_scene, make_user):
    from cityrenew.core.choices import OrganisationKind
    from cityrenew.core.models import Organisation

    from .conftest import make_department_user

    org = Organisation.objects.create(name="中原区教育局", kind=OrganisationKind.DEPARTMENT, region=review_scene["district"])
    outsider = make_department_user(make_user, "edu", org, review_scene["district"])
    rnd = services.open_round(review_scene["plan"])
    rec = rnd.records.get(item_key="feasibility")
    audit_before = AuditLog.objects.count()
    c = _client(client, outsider)
    resp = c.post(reverse("review:record_detail", args=[rec.pk]), {"opinion": "agree"})
    assert resp.status_code == 403 and "您所在的部门（中原区教育局）不在" in resp.content.decode()
    resp = c.post(f"/api/review/rounds/{rnd.pk}/opinion/", {"item": "feasibility", "opinion": "agree"},
                  content_type="application/json")
    assert resp.status_code == 404  # the round is not even visible to it
    resp = c.post(f"/api/review/records/{rec.pk}/opinion/", {"opinion": "agree"}, content_type="application/json")
    assert resp.status_code == 404
    # a matrix department, on the API, naming an item that is not in the round
    dr = _client(client, review_scene["users"]["development_reform"])
    resp = dr.post(f"/api/review/rounds/{rnd.pk}/opinion/", {"item": "nonexistent", "opinion": "agree"},
                   content_type="application/json")
    assert resp.status_code == 400 and "审查事项“nonexistent”不在" in resp.json()["detail"]
    resp = dr.post(f"/api/review/rounds/{rnd.pk}/opinion/", {"item": "planning_land", "opinion": "agree"},
                   content_type="application/json")
    assert resp.status_code == 403 and "由中原区区规划自然资源部门" in resp.json()["detail"]
    rec.refresh_from_db()
    assert rec.opinion == "" and AuditLog.objects.count() == audit_before
    resp = dr.post(f"/api/review/records/{rec.pk}/opinion/", {"opinion": "conditional", "conditions": "资金落实后开工"},
                   content_type="application/json")
    assert resp.status_code == 200 and resp.json()["opinion_display"] == "有条件同意"
    assert "第十二条（六）" in resp.json()["basis"]


def test_round_page_decisions_by_the_authority(client, review_scene):
    plan = review_scene["plan"]
    rnd = services.open_round(plan)
    url = reverse("review:round_detail", args=[rnd.pk])
    authority = _client(client, review_scene["authority"])
    resp = authority.post(url, {"action": "add_items", "items": ["fire_evaluation"]})
    assert resp.status_code == 302 and rnd.records.filter(item_key="fire_evaluation").exists()
    assert 'data-testid="remove-fire_evaluation"' in authority.get(url).content.decode()
    rec = rnd.records.get(item_key="fire_evaluation")
    assert authority.post(url, {"action": "remove_item", "record": rec.pk}).status_code == 302
    assert not rnd.records.filter(item_key="fire_evaluation").exists()
    resp = authority.post(url, {"action": "remove_item", "record": rnd.records.get(item_key="planning_land").pk})
    assert resp.status_code == 400 and "不能移除" in resp.content.decode()
    resp = authority.post(url, {"action": "approved"})
    assert resp.status_code == 400 and "尚有9项审查意见未出具" in resp.content.decode()
    for rec in rnd.records.all():
        services.give_opinion(rec, review_scene["users"][rec.department_key], Opinion.AGREE)
    # a department user sees the round but cannot decide
    dept = review_scene["users"]["planning"]
    client.force_login(dept)
    page = client.get(url).content.decode()
    assert 'data-testid="decision-form"' not in page
    resp = client.post(url, {"action": "approved"})
    assert resp.status_code == 400 and "您无权" in resp.content.decode()
    plan.refresh_from_db()
    assert plan.state == PlanState.JOINT_REVIEW
    authority = _client(client, review_scene["authority"])
    resp = authority.post(url, {"action": "approved"}, follow=True)
    assert resp.status_code == 200 and 'data-testid="opinion-download"' in resp.content.decode()
    plan.refresh_from_db()
    rnd.refresh_from_db()
    assert plan.state == PlanState.APPROVED and rnd.status == RoundStatus.APPROVED
    doc = authority.get(reverse("review:round_opinion", args=[rnd.pk]))
    assert doc.status_code == 200 and b"".join(doc.streaming_content)[:2] == b"PK"
    assert authority.get(reverse("review:plan_rounds", args=[plan.code])).url == url
    data = authority.get(f"/api/review/rounds/{rnd.pk}/").json()
    assert data["status"] == "approved" and len(data["records"]) == 9 and data["opinion_url"].endswith("opinion.docx")


def test_settings_page_validates_the_matrix_and_sets_due_dates(client, review_scene, city_admin):
    url = reverse("review:settings")
    c = _client(client, review_scene["authority"])
    assert "第十二条" in c.get(url).content.decode()
    assert c.post(url, {"due_workdays": "5"}).status_code == 403
    c = _client(client, city_admin)
    resp = c.post(url, {"due_workdays": "5", "matrix_toml": 'version = "x"\ntitle = "本市"\n[[department]]\nkey = "a"\nname = "甲"\n'
                                                             '[[item]]\nkey = "i"\ndepartment = "a"\ntitle = "事项"\npoints = ["一"]\n'
                                                             'document = "NO-SUCH-DOC"\narticle = "第一条"\nquote = "原文"\n'})
    assert resp.status_code == 400 and "引用的政策文件“NO-SUCH-DOC”未登记" in resp.content.decode()
    assert not ReviewSettings.objects.exists()
    resp = c.post(url, {"due_workdays": "0", "matrix_toml": ""})
    assert resp.status_code == 400 and "审查时限应在1至250个工作日之间" in resp.content.decode()
    resp = c.post(url, {"due_workdays": "5", "matrix_toml": ""})
    assert resp.status_code == 302
    conf = ReviewSettings.objects.get()
    assert conf.due_workdays == 5 and AuditLog.for_object(conf).count() == 1
    # the next round's records carry a due date
    plan = review_scene["plan"]
    from cityrenew.plans.workflow import transition

    transition(plan, PlanState.REVISION, user=review_scene["authority"])
    revise(plan, review_scene["entity_user"])
    transition(plan, PlanState.SUBMITTED, user=review_scene["entity_user"])
    transition(plan, PlanState.PRE_REVIEW, user=review_scene["authority"])
    transition(plan, PlanState.JOINT_REVIEW, user=review_scene["authority"])
    from cityrenew.workdays.calendar import add_workdays

    due = set(services.open_round(plan).records.values_list("due_date", flat=True))
    assert due == {add_workdays(dt.date(2026, 6, 1), 5)}  # from the pinned day


def test_city_matrix_replaces_the_packaged_one_for_new_rounds(client, review_scene, city_admin):
    text = ('version = "ZZ-2026"\ntitle = "郑州市联合审查事项"\n[[department]]\nkey = "planning"\nname = "区自然资源和规划局"\n'
            '[[item]]\nkey = "planning_land"\ndepartment = "planning"\ntitle = "规划与用地"\npoints = ["用途调整", "用地保障"]\n'
            'document = "BJ-2024-JOINT-REVIEW"\narticle = "第十二条"\nclause = "（三）"\nquote = "规划自然资源部门组织审查"\n')
    c = _client(client, city_admin)
    assert c.post(reverse("review:settings"), {"matrix_toml": text, "due_workdays": ""}).status_code == 302
    assert services.matrix_for(review_scene["district"]).version == "ZZ-2026"
    plan = review_scene["plan"]
    from cityrenew.plans.workflow import transition

    transition(plan, PlanState.REVISION, user=review_scene["authority"])
    revise(plan, review_scene["entity_user"])
    transition(plan, PlanState.SUBMITTED, user=review_scene["entity_user"])
    transition(plan, PlanState.PRE_REVIEW, user=review_scene["authority"])
    transition(plan, PlanState.JOINT_REVIEW, user=review_scene["authority"])
    rnd = services.open_round(plan)
    assert rnd.matrix_version == "ZZ-2026" and rnd.matrix_source == "city"
    assert list(rnd.records.values_list("item_key", "department_name")) == [("planning_land", "区自然资源和规划局")]
    # the first round kept its own records
    assert plan.review_rounds.get(number=1).records.count() == 9


def test_department_mappings_by_district_scope(client, review_scene, erqi_editor, regions):
    from cityrenew.core.choices import OrganisationKind
    from cityrenew.core.models import Organisation

    org = Organisation.objects.create(name="二七区发展和改革委员会", kind=OrganisationKind.DEPARTMENT, region=regions["二七区"])
    c = _client(client, erqi_editor)
    add = reverse("review:reviewdepartment_add")
    resp = c.post(add, {"district": regions["中原区"].pk, "key": "finance", "organisation": org.pk})
    assert resp.status_code == 403
    resp = c.post(add, {"district": regions["二七区"].pk, "key": "development_reform", "organisation": org.pk})
    assert resp.status_code == 302
    m = ReviewDepartment.objects.get(district=regions["二七区"], key="development_reform")
    assert m.department_name == "区发展改革部门" and AuditLog.for_object(m).count() == 1
    resp = c.get(reverse("review:reviewdepartment_list") + "?district=" + str(regions["二七区"].pk))
    assert "二七区发展和改革委员会" in resp.content.decode()
    api = c.post("/api/review/departments/", {"district": regions["金水区"].pk, "key": "finance", "organisation": org.pk},
                 content_type="application/json")
    assert api.status_code == 403 and "超出您的授权区划范围" in api.json()["detail"]


def test_matrix_api_lists_items_with_their_articles(client, review_scene):
    data = _client(client, review_scene["authority"]).get("/api/review/matrix/").json()
    assert data["source"] == "packaged" and len(data["items"]) == 17
    fire = next(i for i in data["items"] if i["key"] == "fire_evaluation")
    assert fire["article"] == "第十二条" and fire["clause"] == "（四）" and fire["condition"] == "涉及消防专业技术评价的"
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for p in ["/api/review/records/{id}/opinion/", "/api/review/rounds/{id}/opinion/", "/api/review/departments/",
              "/api/review/matrix/"]:
        assert p in schema["paths"], p


def test_plan_review_tag_for_the_plans_page(rf, review_scene):
    from django.template import Context, Template

    request = rf.get("/")
    request.user = review_scene["users"]["planning"]
    html = Template("{% load review %}{% plan_review plan %}").render(Context({"plan": review_scene["plan"], "request": request}))
    assert "第1轮" in html and "审查中" in html and "意见 0 / 9" in html
    request.user = review_scene["entity_user"]  # the entity reads the review of its own plan
    html = Template("{% load review %}{% plan_review plan %}").render(Context({"plan": review_scene["plan"], "request": request}))
    assert "第1轮" in html
    from cityrenew.core.choices import OrganisationKind
    from cityrenew.core.models import Organisation, RoleAssignment

    other = Organisation.objects.create(name="另一实施主体", kind=OrganisationKind.ENTITY, region=review_scene["district"])
    stranger = type(review_scene["entity_user"]).objects.create_user("stranger", password="x-stranger-1")
    RoleAssignment.objects.create(user=stranger, role="entity_editor", region=review_scene["district"], organisation=other)
    request.user = stranger
    html = Template("{% load review %}{% plan_review plan %}").render(Context({"plan": review_scene["plan"], "request": request}))
    assert "尚未开展联合审查" in html
    assert not services.visible_records(stranger).exists() and services.visible_records(review_scene["entity_user"]).count() == 9

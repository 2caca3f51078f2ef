"""Implementation plans in a real browser: the entity (实施主体填报员) registers a plan, uploads the plan
text and the materials of 第六条, takes it through consultation and consent and submits it; the
district's authority accepts it and returns it with two numbered items (第八条); the entity sees it in
我的待办, answers both items, uploads version 2 and resubmits; the authority sends it to joint review and
approves it; the timeline cites the article of every move."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point

from tests.plans.conftest import agree_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, username: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def setting(regions, tmp_path, settings):
    from django.contrib.auth import get_user_model
    from docx import Document

    from cityrenew.core.choices import OrganisationKind, Role
    from cityrenew.core.models import Organisation, Region, RoleAssignment
    from cityrenew.projects.models import RenewalProject

    settings.MEDIA_ROOT = tmp_path / "media"
    zy = Region.objects.get(code="410102")
    project = RenewalProject.objects.create(code="K202601001", name="棉纺路片区更新项目", city=Region.objects.get(code="410100"),
                                            total_investment=Decimal("3.2"), location=Point(113.62, 34.75, srid=4326))
    project.districts.set([zy])
    org = Organisation.objects.create(name="棉纺路更新发展有限公司", kind=OrganisationKind.ENTITY, region=zy)
    User = get_user_model()
    entity = User.objects.create_user(username="shishi", password="pass-shishi", first_name="实施主体填报员")
    RoleAssignment.objects.create(user=entity, role=Role.ENTITY_EDITOR, region=zy, organisation=org)
    authority = User.objects.create_user(username="zyeditor", password="pass-zyeditor", first_name="中原区编辑")
    RoleAssignment.objects.create(user=authority, role=Role.DISTRICT_EDITOR, region=zy)
    files = {}
    for key, title in (("v1", "实施方案（第1版）"), ("v2", "实施方案（第2版）"), ("app", "联合审查申请书"), ("lic", "营业执照")):
        doc = Document()
        doc.add_paragraph(title)
        path = tmp_path / f"{key}.docx"
        doc.save(path)
        files[key] = str(path)
    return {"project": project, "org": org, "files": files}


def move(page, target: str) -> None:
    page.locator(f"[data-testid=move-{target}] button[type=submit]").click()
    page.wait_for_load_state()


def test_entity_submits_authority_returns_then_approves(page, live_server, setting, screenshot_dir):
    from cityrenew.plans.models import ImplementationPlan

    files = setting["files"]
    sign_in(page, live_server, "shishi", "pass-shishi")
    assert page.url == live_server.url + "/plans/"  # an entity starts from its plans
    page.click("text=新建")
    page.fill("input[name=code]", "FA-2026-101")
    page.fill("input[name=title]", "棉纺路片区城市更新实施方案")
    page.select_option("select[name=project]", str(setting["project"].pk))
    page.select_option("select[name=district]", label="中原区")
    page.fill("textarea[name=summary]", "对棉纺路片区12栋住宅实施综合整治。")
    assert page.locator("select[name=entity] option:checked").inner_text() == "棉纺路更新发展有限公司"
    assert page.locator("input[name=expert_review_required]").is_disabled()  # the authority decides (第九条)
    page.click("[data-testid=save]")
    page.wait_for_url(re.compile(r".*/plans/FA-2026-101/$"))
    checklist = page.locator("[data-testid=checklist]")
    assert checklist.locator("tr[data-material=plan] .badge.bad").inner_text() == "缺少"

    form = page.locator("[data-testid=version-form]")
    form.locator("input[type=file]").set_input_files(files["v1"])
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    for kind, key in (("application", "app"), ("licence", "lic")):
        form = page.locator("[data-testid=material-form]")
        form.locator("select[name=kind]").select_option(kind)
        form.locator("input[type=file]").set_input_files(files[key])
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
    assert checklist.locator(".badge.bad").count() == 0
    assert page.locator("[data-testid=move-blocked]").count() == 0
    move(page, "consultation")
    move(page, "consented")
    move(page, "submitted")
    assert page.locator("[data-testid=plan-state]").inner_text() == "已报送"
    assert page.locator("[data-testid=move-pre_review]").count() == 0  # not the entity's move

    sign_in(page, live_server, "zyeditor", "pass-zyeditor")
    page.goto(live_server.url + "/inbox/")
    page.click("text=实施方案 FA-2026-101 棉纺路片区城市更新实施方案")
    move(page, "pre_review")
    revision = page.locator("[data-testid=revision-form]")
    revision.locator("textarea[name=items]").fill("补充现状房屋权属调查表\n明确资金平衡测算的依据")
    revision.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=plan-state]").inner_text() == "退回修改"

    sign_in(page, live_server, "shishi", "pass-shishi")
    page.goto(live_server.url + "/inbox/")
    assert "补充现状房屋权属调查表" in page.locator("main").inner_text()
    page.click("text=实施方案 FA-2026-101 棉纺路片区城市更新实施方案")
    blocked = page.locator("[data-testid=move-submitted]")  # items not answered, no new version: disabled, with the reason
    assert blocked.locator("button").is_disabled() and "第1、2项尚未答复" in blocked.locator("[data-testid=move-blocked]").inner_text()
    for answer in ("已补充权属调查表（附件3）", "已补充资金测算依据（第5章）"):
        item = page.locator("[data-testid=revisions] li form").first
        item.locator("input[name=response]").fill(answer)
        item.locator("button[type=submit]").click()
        page.wait_for_load_state()
    form = page.locator("[data-testid=version-form]")
    form.locator("input[type=file]").set_input_files(files["v2"])
    form.locator("textarea[name=change_note]").fill("按第1轮修改补充告知修改")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    move(page, "submitted")
    assert page.locator("[data-testid=plan-state]").inner_text() == "已报送"

    sign_in(page, live_server, "zyeditor", "pass-zyeditor")
    page.goto(live_server.url + "/plans/FA-2026-101/")
    move(page, "pre_review")
    move(page, "joint_review")
    agree_all(ImplementationPlan.objects.get(code="FA-2026-101"))  # the departments' opinions (review app; its own test)
    page.reload()
    move(page, "approved")
    assert page.locator("[data-testid=plan-state]").inner_text() == "通过联合审查"
    timeline = page.locator("[data-testid=timeline]")
    assert timeline.locator("tr[data-to]").count() == 9
    assert "第八条" in timeline.locator("tr[data-to=revision]").inner_text()
    assert "第十条" in timeline.locator("tr[data-to=approved]").inner_text()
    assert page.locator("[data-testid=versions] tbody tr").count() == 2
    page.screenshot(path=str(screenshot_dir / "plan-approved.png"), full_page=True)
    plan = ImplementationPlan.objects.get(code="FA-2026-101")
    assert plan.state == "approved" and plan.revision_requests.get().items.filter(response="").count() == 0

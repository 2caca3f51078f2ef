"""The joint review in a real browser (Debian chromium through Playwright), against a live server.

The city runs its own two-department matrix. The planning reviewer finds the item in 我的待办, is told a
有条件同意 needs its conditions, then gives it; the market-regulation reviewer gives 不同意 with reasons;
the district authority cannot approve (the page says why) and returns the plan for revision. After the
entity resubmits, both departments agree in a second round, the authority approves, and the combined
opinion (docx) downloads with both opinions and the article. Screenshots go to test-results/screenshots/.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.review.conftest import prepare_submission, revise

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MATRIX = '''version = "ZZ-2026-01"
title = "郑州市实施方案联合审查事项"
[[department]]
key = "planning"
name = "区规划自然资源部门"
[[department]]
key = "market_regulation"
name = "区市场监管部门"
[[item]]
key = "planning_land"
department = "planning"
title = "规划、用地与产权"
points = ["用途调整", "用地保障", "产权办理路径"]
document = "BJ-2024-JOINT-REVIEW"
article = "第十二条"
clause = "（三）"
quote = "规划自然资源部门组织对主体结构、外立面改造、城市设计、风貌管控、用途调整、用地保障、土地利用方式、过渡期政策、产权办理路径、建设工程消防设计等内容进行审查"
[[item]]
key = "operation"
department = "market_regulation"
title = "更新改造空间运营管理"
points = ["更新改造空间的运营管理"]
document = "BJ-2024-JOINT-REVIEW"
article = "第十二条"
clause = "（七）"
quote = "区市场监管部门组织对更新改造空间的运营管理进行审查"
'''
CONDITIONS = "沿街立面保留红砖风貌，用途调整按程序报批"
REASONS = "未明确更新后商业空间的运营主体和管理责任"


@pytest.fixture
def scene(regions, zhongyuan_editor, city_admin, make_user, settings, tmp_path):
    from cityrenew.core.choices import OrganisationKind
    from cityrenew.core.models import Organisation, RoleAssignment
    from cityrenew.plans.choices import PlanState
    from cityrenew.plans.models import ImplementationPlan
    from cityrenew.plans.workflow import transition
    from cityrenew.projects.models import RenewalProject
    from cityrenew.review.models import ReviewDepartment, ReviewSettings

    settings.MEDIA_ROOT = tmp_path / "media"
    zy, city = regions["中原区"], regions["郑州市"]
    ReviewSettings.objects.create(city=city, matrix_toml=MATRIX)
    users = {}
    for key, org_name, username in (("planning", "中原区自然资源和规划局", "guihua"),
                                    ("market_regulation", "中原区市场监督管理局", "shichang")):
        org = Organisation.objects.create(name=org_name, kind=OrganisationKind.DEPARTMENT, region=zy)
        ReviewDepartment.objects.create(district=zy, key=key, organisation=org)
        users[key] = make_user(username, None, None, first_name=f"{org_name}审查员")
        RoleAssignment.objects.create(user=users[key], role="dept_reviewer", region=zy, organisation=org)
    entity = Organisation.objects.create(name="郑州绿东城市更新有限公司", kind=OrganisationKind.ENTITY, region=zy)
    entity_user = make_user("shishi", None, None, first_name="实施主体填报员")
    RoleAssignment.objects.create(user=entity_user, role="entity_editor", region=zy, organisation=entity)
    project = RenewalProject.objects.create(code="K202601001", name="绿东村片区更新", city=city, total_investment=Decimal(3))
    plan = ImplementationPlan.objects.create(code="SS-ZY-2026-001", title="绿东村片区城市更新实施方案", project=project,
                                             district=zy, entity=entity)
    prepare_submission(plan, entity_user)  # the materials of 第六条
    for target in (PlanState.CONSULTATION, PlanState.CONSENTED, PlanState.SUBMITTED):
        transition(plan, target, user=entity_user)  # the plans pages are another part's; the workflow is the same
    transition(plan, PlanState.PRE_REVIEW, user=zhongyuan_editor)
    transition(plan, PlanState.JOINT_REVIEW, user=zhongyuan_editor)
    return {"plan": plan, "entity_user": entity_user, "authority": zhongyuan_editor}


def _login(page, live_server, username: str, landing: str) -> None:
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pass-" + username)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + landing)


def _logout(page) -> None:
    page.click("header form button:has-text('退出')")
    page.wait_for_load_state()


def _answer_from_inbox(page, live_server, username, title, opinion_label, field="", text=""):
    _login(page, live_server, username, "/inbox/")
    box = page.locator("[data-testid=inbox-to_review]")
    assert title in box.inner_text()
    box.get_by_text(title).click()
    page.wait_for_url("**/plans/review/records/*/")
    assert "第十二条" in page.inner_text("[data-testid=record-basis]")
    page.get_by_label(opinion_label, exact=True).check()
    if field:
        page.fill(f"textarea[name={field}]", text)
    page.click("[data-testid=opinion-submit]")
    page.wait_for_load_state()
    assert page.inner_text("[data-testid=record-opinion]") == opinion_label
    _logout(page)


def test_two_departments_review_one_disagrees_returned_then_approved(page, live_server, scene, screenshot_dir, tmp_path):
    from docx import Document

    from cityrenew.plans.choices import PlanState
    from cityrenew.plans.workflow import transition
    from cityrenew.review import services

    plan = scene["plan"]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    title = f"联合审查 · {plan.code} {plan.title} · 规划、用地与产权"

    # --- planning: a 有条件同意 without its conditions is refused, then given ---
    _login(page, live_server, "guihua", "/inbox/")
    page.locator("[data-testid=inbox-to_review]").get_by_text(title).click()
    page.wait_for_url("**/plans/review/records/*/")
    assert "未设期限" in page.inner_text("[data-testid=record-due]")
    page.get_by_label("有条件同意", exact=True).check()
    page.click("[data-testid=opinion-submit]")
    assert page.inner_text("[data-testid=opinion-error]") == "“有条件同意”须写明同意的条件"
    assert page.inner_text("[data-testid=record-opinion]") == "待出具意见"
    page.fill("textarea[name=conditions]", CONDITIONS)
    page.click("[data-testid=opinion-submit]")
    page.wait_for_load_state()
    assert page.inner_text("[data-testid=record-opinion]") == "有条件同意"
    assert page.inner_text("[data-testid=record-conditions]") == CONDITIONS
    page.screenshot(path=str(screenshot_dir / "review-record.png"), full_page=True)
    _logout(page)

    # --- market regulation: 不同意 with reasons ---
    _answer_from_inbox(page, live_server, "shichang", f"联合审查 · {plan.code} {plan.title} · 更新改造空间运营管理",
                       "不同意", "reasons", REASONS)

    # --- the authority: approval refused (with why), returned for revision ---
    rnd = services.open_round(plan)
    _login(page, live_server, "zyeditor", "/")
    page.goto(live_server.url + f"/plans/review/rounds/{rnd.pk}/")
    assert page.inner_text("[data-testid=round-progress]") == "2 / 2"
    assert "区市场监管部门出具了不同意意见" in page.inner_text("[data-testid=round-guard]")
    assert page.inner_text("[data-testid=opinion-operation]") == "不同意"
    page.screenshot(path=str(screenshot_dir / "review-round.png"), full_page=True)
    page.click("[data-testid=decide-approved]")
    assert "区市场监管部门出具了不同意意见" in page.inner_text("[data-testid=round-error]")
    assert page.inner_text("[data-testid=plan-state]") == "联合审查中"
    page.fill("textarea[name=note]", "请补充运营管理方案")
    page.click("[data-testid=decide-revision]")
    page.wait_for_load_state()
    assert page.inner_text("[data-testid=round-status]") == "已退回修改"
    assert page.inner_text("[data-testid=plan-state]") == "退回修改"
    assert page.locator("[data-testid=decision-form]").count() == 0
    plan.refresh_from_db()
    assert plan.state == PlanState.REVISION and plan.opinion_date is None

    # --- resubmitted; a second round where both agree; approved with the combined opinion ---
    revise(plan, scene["entity_user"])  # a new version after the return (第八条)
    transition(plan, PlanState.SUBMITTED, user=scene["entity_user"])
    transition(plan, PlanState.PRE_REVIEW, user=scene["authority"])
    transition(plan, PlanState.JOINT_REVIEW, user=scene["authority"])
    _logout(page)
    _answer_from_inbox(page, live_server, "guihua", title, "同意")
    _answer_from_inbox(page, live_server, "shichang", f"联合审查 · {plan.code} {plan.title} · 更新改造空间运营管理", "同意")
    second = services.open_round(plan)
    assert second.number == 2
    _login(page, live_server, "zyeditor", "/")
    page.goto(live_server.url + f"/plans/review/rounds/{second.pk}/")
    page.click("[data-testid=decide-approved]")
    page.wait_for_load_state()
    assert page.inner_text("[data-testid=round-status]") == "已通过"
    plan.refresh_from_db()
    assert plan.state == PlanState.APPROVED
    assert page.inner_text("[data-testid=opinion-date]") == plan.opinion_date.isoformat()
    with page.expect_download() as dl:
        page.click("[data-testid=opinion-download]")
    path = tmp_path / "opinion.docx"
    dl.value.save_as(path)
    doc = Document(str(path))
    cells = [c.text for row in doc.tables[0].rows for c in row.cells]
    assert "中原区自然资源和规划局" in cells and "中原区市场监督管理局" in cells and cells.count("同意") == 2
    assert "第十二条（三）" in cells and "第十二条（七）" in cells
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "绿东村片区城市更新实施方案联合审查意见" in text and "共2项审查事项：同意2项" in text
    page.screenshot(path=str(screenshot_dir / "review-approved.png"), full_page=True)
    assert not errors

"""Issue 11's acceptance, end to end in a real browser (Debian chromium through Playwright), live server.

One plan through the merged apps, every step on the pages a user has:

1. the implementing entity registers the plan, uploads the plan text and the materials of 第六条 and opens
   the owners' consultation;
2. it creates the owners' vote on the plan's page, imports the register, issues the codes (the letters are
   a real docx); the owners find the vote from the public index (/public/ → 业主表决) and vote with their
   codes; a used code is refused; after close the certificate shows 通过 with the figures, a voter checks
   with the receipt that the ballot was counted as cast, and only then
   the entity may record the owners' consent (the ballots guard) and submit;
3. the authority sends it to joint review; of the two departments one agrees, the other 不同意 — approval
   is refused, the authority returns the plan; the entity uploads version 2 and resubmits; both agree; approved;
4. the authority publishes the notice from the plan's page (14 working days refused, 15 accepted); the
   public site shows it with the end date of the calendar rule; a resident comments.

The day the notice periods count from is pinned (``CITYRENEW_TODAY``) to 2025-09-26, a Friday before
National Day 2025, so the test does not depend on the year the calendar knows: 15 working days from it end
on 2025-10-23 (counted by hand below, not by the code under test). The owners' vote runs on real time.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from docx import Document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = "2025-09-26"
# 民法典第二百零一条: the publication day is not counted. 09-27 (Sat) rest; 09-28 (Sun) adjusted working day (1);
# 09-29, 09-30 (3); 10-01..10-08 National Day and Mid-Autumn holiday; 10-09, 10-10 (5); 10-11 (Sat) adjusted
# working day (6); 10-13..10-17 (11); 10-20..10-23 (15).
END = "2025-10-23"
CODE = "FA-2026-201"
TITLE = "绿东村片区城市更新实施方案"
REGISTER = "楼栋,单元,房号,业主,专有部分面积,建设单位未售\n" \
    "5,2,101,赵一,90,否\n5,2,102,赵一,60,否\n5,2,201,钱二,100,否\n5,2,202,孙三,80,否\n5,2,301,李四,70,否\n"
MATRIX = '''version = "ZZ-2026-E2E"
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
REASONS = "未明确更新后商业空间的运营主体和管理责任"
OPINION = "建议施工期间保留5号楼南侧通道，方便老人出入。"


@pytest.fixture
def scene(regions, tmp_path, settings, make_user):
    from django.contrib.gis.geos import Point

    from cityrenew.core.choices import OrganisationKind, Role
    from cityrenew.core.models import Organisation, RoleAssignment
    from cityrenew.projects.models import RenewalProject
    from cityrenew.review.models import ReviewDepartment, ReviewSettings

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CITYRENEW_TODAY = TODAY
    zy, city = regions["中原区"], regions["郑州市"]
    project = RenewalProject.objects.create(code="K202601201", name="绿东村片区更新", city=city, total_investment=Decimal("2.6"),
                                            location=Point(113.6281, 34.7623, srid=4326))
    project.districts.set([zy])
    entity = Organisation.objects.create(name="郑州绿东城市更新有限公司", kind=OrganisationKind.ENTITY, region=zy)
    RoleAssignment.objects.create(user=make_user("shishi", None, None, first_name="实施主体填报员"), role=Role.ENTITY_EDITOR,
                                  region=zy, organisation=entity)
    RoleAssignment.objects.create(user=make_user("zyeditor", None, None, first_name="中原区编辑"), role=Role.DISTRICT_EDITOR,
                                  region=zy)
    ReviewSettings.objects.create(city=city, matrix_toml=MATRIX)
    for key, org_name, username in (("planning", "中原区自然资源和规划局", "guihua"),
                                    ("market_regulation", "中原区市场监督管理局", "shichang")):
        org = Organisation.objects.create(name=org_name, kind=OrganisationKind.DEPARTMENT, region=zy)
        ReviewDepartment.objects.create(district=zy, key=key, organisation=org)
        RoleAssignment.objects.create(user=make_user(username, None, None, first_name=f"{org_name}审查员"),
                                      role=Role.DEPT_REVIEWER, region=zy, organisation=org)
    files = {}
    for key, title in (("v1", "实施方案（第1版）"), ("v2", "实施方案（第2版）"), ("app", "联合审查申请书"), ("lic", "营业执照")):
        doc = Document()
        doc.add_paragraph(title)
        files[key] = str(tmp_path / f"{key}.docx")
        doc.save(files[key])
    return {"project": project, "files": files}


def sign_in(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pass-" + username)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login/" not in page.url


def open_plan(page, live_server) -> None:
    page.goto(live_server.url + f"/plans/{CODE}/")


def move(page, target: str) -> None:
    page.locator(f"[data-testid=move-{target}] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".msg-error").count() == 0, page.inner_text(".messages")


def state(page) -> str:
    return page.inner_text("[data-testid=plan-state]")


def upload(page, testid: str, path: str, kind: str = "", note: str = "") -> None:
    form = page.locator(f"[data-testid={testid}]")
    if kind:
        form.locator("select[name=kind]").select_option(kind)
    form.locator("input[type=file]").set_input_files(path)
    if note:
        form.locator("textarea[name=change_note]").fill(note)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def opinion(page, live_server, username: str, item_title: str, label: str, reasons: str = "") -> None:
    sign_in(page, live_server, username)
    page.goto(live_server.url + "/inbox/")
    page.locator("[data-testid=inbox-to_review]").get_by_text(f"联合审查 · {CODE} {TITLE} · {item_title}").click()
    page.wait_for_url("**/plans/review/records/*/")
    page.get_by_label(label, exact=True).check()
    if reasons:
        page.fill("textarea[name=reasons]", reasons)
    page.click("[data-testid=opinion-submit]")
    page.wait_for_load_state()
    assert page.inner_text("[data-testid=record-opinion]") == label


def public_vote(browser, live_server, vote_title: str, code: str, choice: str):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    pg = ctx.new_page()
    pg.set_default_timeout(15000)
    pg.goto(live_server.url + "/public/")
    pg.get_by_role("link", name="业主表决").first.click()  # the public index leads to the votes
    pg.wait_for_url("**/public/vote/")
    pg.get_by_role("link", name=vote_title).click()
    form = pg.locator("[data-testid=cast-form]")
    form.locator("input[type=text], input:not([type])").first.fill(code)
    form.get_by_label(choice).check()
    form.locator("button[type=submit]").click()
    pg.wait_for_load_state()
    return ctx, pg


def test_plan_from_submission_to_notice_with_review_vote_and_comment(browser, page, live_server, scene, tmp_path,
                                                                     screenshot_dir):
    from cityrenew.ballots.models import Ballot, Vote
    from cityrenew.notices.models import Comment, Notice
    from cityrenew.plans.models import ImplementationPlan
    from cityrenew.review.models import ReviewRound

    files = scene["files"]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(15000)

    # --- 1. the entity registers the plan with its materials and opens the consultation ---
    sign_in(page, live_server, "shishi")
    page.goto(live_server.url + "/plans/new/")
    page.fill("input[name=code]", CODE)
    page.fill("input[name=title]", TITLE)
    page.select_option("select[name=project]", str(scene["project"].pk))
    page.select_option("select[name=district]", label="中原区")
    page.fill("textarea[name=summary]", "绿东村片区12栋住宅综合整治，改造雨污管网2.4公里，新增社区养老驿站1处。")
    page.click("[data-testid=save]")
    page.wait_for_url(re.compile(rf".*/plans/{CODE}/$"))
    upload(page, "version-form", files["v1"])
    upload(page, "material-form", files["app"], kind="application")
    upload(page, "material-form", files["lic"], kind="licence")
    assert page.locator("[data-testid=checklist] .badge.bad").count() == 0
    move(page, "consultation")
    assert state(page) == "意见征询中"

    # --- 2. the owners' vote, from the plan's page ---
    votes = page.locator("[data-testid=plan-votes]")
    assert "尚无业主表决" in votes.inner_text()
    votes.get_by_role("link", name="新建业主表决").click()
    now = timezone.localtime()
    page.fill("input[name=title]", "绿东村5号楼2单元综合改造")
    page.select_option("select[name=matter]", "major")
    page.fill("input[name=opens_at]", (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=closes_at]", (now + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r".*/plans/votes/\d+/$"))
    vote = Vote.objects.get(title="绿东村5号楼2单元综合改造")
    assert vote.plan.code == CODE
    register = tmp_path / "名册.csv"
    register.write_text(REGISTER, encoding="utf-8")
    page.set_input_files("[data-testid=register-form] input[type=file]", str(register))
    page.click("[data-testid=register-form] button[type=submit]")
    page.wait_for_load_state()
    assert "已导入业主名册：5 个专有部分" in page.inner_text(".messages")
    with page.expect_download() as dl:
        page.click("[data-testid=codes-form] button[type=submit]")
    letters = tmp_path / "letters.docx"
    dl.value.save_as(letters)
    codes = {}
    for table in Document(str(letters)).tables:
        for row in table.rows[1:]:
            label, _, code = (c.text for c in row.cells)
            codes[label] = code
    assert len(codes) == 5

    # the owners vote on the public site with the codes of their letters: 赵一 (two units, one person: his ballot
    # counts for both), 钱二 and 孙三 agree, 李四 is against
    receipts = {}
    for unit, choice in (("5栋2单元101", "同意"), ("5栋2单元201", "同意"), ("5栋2单元202", "同意"), ("5栋2单元301", "反对")):
        ctx, pg = public_vote(browser, live_server, vote.title, codes[unit], choice)
        assert pg.inner_text("h1") == "表决已提交", pg.inner_text("main")
        receipts[unit] = pg.inner_text("[data-testid=receipt-code]")
        ctx.close()
    ctx, pg = public_vote(browser, live_server, vote.title, codes["5栋2单元301"], "同意")  # the used code again
    assert "该表决码已使用，不能再次投票" in pg.inner_text("[data-testid=vote-error]")
    ctx.close()
    assert Ballot.objects.filter(vote=vote).count() == 4
    assert page.locator("[data-testid=vote-result]").count() == 0  # nothing of the result before close

    # an open vote blocks the owners' consent (ballots guard on 已同意/表决通过)
    open_plan(page, live_server)
    assert page.locator("[data-testid=move-consented] button").is_disabled()

    # the vote closes (time passes); the certificate shows the result
    vote.closes_at = timezone.now() - dt.timedelta(seconds=1)
    vote.save()
    page.goto(live_server.url + f"/plans/votes/{vote.pk}/")
    assert page.inner_text("[data-testid=vote-outcome]") == "通过"
    with page.expect_download() as dl:
        page.click("[data-testid=certificate-link]")
    cert = tmp_path / "certificate.docx"
    dl.value.save_as(cert)
    doc = Document(str(cert))
    assert "表决结果：通过" in "\n".join(p.text for p in doc.paragraphs)
    figures = [[c.text for c in r.cells] for r in doc.tables[0].rows][1:]
    # 4 persons (赵一's two units are one person), 400 ㎡; all 4 took part (400 ㎡ ≥ 2/3); 同意 3 persons of 4
    # (3/4 exactly: passes) and 330 ㎡ of 400 (≥ 3/4) — a major matter (民法典第二百七十八条)
    assert figures == [["业主总计", "4", "400.00"], ["参与表决", "4", "400.00"], ["同意", "3", "330.00"]]
    # on the public page: the aggregate result, no names; 李四 checks with his receipt that his 反对 was counted
    pub = browser.new_context(locale="zh-CN").new_page()
    pub.goto(live_server.url + f"/public/vote/{vote.pk}/")
    assert pub.inner_text("[data-testid=vote-outcome]") == "通过" and "李四" not in pub.content()
    pub.fill("[data-testid=verify-form] input[name=receipt]", receipts["5栋2单元301"])
    pub.click("[data-testid=verify-form] button[type=submit]")
    pub.wait_for_load_state()
    assert "“反对”已计入" in pub.inner_text("[data-testid=verified]")
    pub.context.close()
    open_plan(page, live_server)
    assert "已截止：通过" in page.inner_text("[data-testid=plan-votes]")
    move(page, "consented")
    move(page, "submitted")
    assert state(page) == "已报送"

    # --- 3. joint review: one department disagrees, the authority returns the plan ---
    sign_in(page, live_server, "zyeditor")
    open_plan(page, live_server)
    move(page, "pre_review")
    move(page, "joint_review")
    assert state(page) == "联合审查中"
    assert "意见 0 / 2" in page.inner_text("[data-testid=plan-review]")
    opinion(page, live_server, "guihua", "规划、用地与产权", "同意")
    opinion(page, live_server, "shichang", "更新改造空间运营管理", "不同意", REASONS)
    sign_in(page, live_server, "zyeditor")
    open_plan(page, live_server)
    assert "区市场监管部门出具了不同意意见" in page.inner_text("[data-testid=move-approved]")  # the button says why
    assert page.locator("[data-testid=move-approved] button").is_disabled()
    page.locator("[data-testid=plan-review]").get_by_role("link", name="第1轮").click()
    page.wait_for_url("**/plans/review/rounds/*/")
    page.fill("textarea[name=note]", "请补充运营管理方案")
    page.click("[data-testid=decide-revision]")
    page.wait_for_load_state()
    assert page.inner_text("[data-testid=plan-state]") == "退回修改"

    sign_in(page, live_server, "shishi")
    open_plan(page, live_server)
    assert state(page) == "退回修改"
    for item in page.locator("[data-testid=revisions] li form").all():  # the return's items, if it listed any
        item.locator("input[name=response]").fill("已补充运营管理方案（第6章）")
        item.locator("button[type=submit]").click()
        page.wait_for_load_state()
    upload(page, "version-form", files["v2"], note="补充更新后商业空间的运营主体和管理责任")
    move(page, "submitted")
    assert state(page) == "已报送"

    sign_in(page, live_server, "zyeditor")
    open_plan(page, live_server)
    move(page, "pre_review")
    move(page, "joint_review")
    opinion(page, live_server, "guihua", "规划、用地与产权", "同意")
    opinion(page, live_server, "shichang", "更新改造空间运营管理", "同意")
    sign_in(page, live_server, "zyeditor")
    open_plan(page, live_server)
    move(page, "approved")
    assert state(page) == "通过联合审查"
    plan = ImplementationPlan.objects.get(code=CODE)
    assert plan.opinion_date == dt.date(2025, 9, 26)  # the pinned day
    rounds = page.inner_text("[data-testid=plan-review]")
    assert "第1轮：已退回修改" in rounds and "第2轮：已通过" in rounds and "联合审查意见（Word）" in rounds
    assert list(ReviewRound.objects.filter(plan=plan).order_by("number").values_list("status", flat=True)) == \
        ["returned", "approved"]

    # --- 4. the notice: published from the plan's page (no direct state change), 14 days refused ---
    assert page.locator("[data-testid=move-notice]").count() == 0
    page.click("[data-testid=notice-add]")
    page.wait_for_url(f"**/plans/notices/new/{plan.pk}/")
    assert page.inner_text("[data-testid=end-preview]") == END
    page.fill("input[name=days]", "14")
    page.click("[data-testid=publish-submit]")
    assert "公示时间不得少于15个工作日" in page.inner_text("[data-testid=publish-errors]")
    assert not Notice.objects.exists()
    page.fill("input[name=days]", "15")
    page.click("[data-testid=publish-submit]")
    page.wait_for_selector(".msg-success")
    notice = Notice.objects.get()
    assert page.inner_text("[data-testid=staff-end-date]") == END
    open_plan(page, live_server)
    assert state(page) == "公示中"
    assert END in page.inner_text("[data-testid=plan-notices]")
    page.screenshot(path=str(screenshot_dir / "plans-e2e-plan.png"), full_page=True)

    # --- a resident finds it on the public site and comments ---
    res = browser.new_context(locale="zh-CN").new_page()
    res.set_default_timeout(15000)
    res.on("pageerror", lambda e: errors.append(str(e)))
    res.goto(live_server.url + "/public/")
    item = res.locator(f"[data-testid=notice-item][data-notice='{notice.pk}']")
    assert END in item.inner_text() and "剩余15个工作日" in item.inner_text()
    item.get_by_role("link").click()
    res.wait_for_url(f"**/public/notices/{notice.pk}/")
    assert res.inner_text("[data-testid=end-date]") == END
    assert res.inner_text("[data-testid=workdays-left]") == "15"
    assert "绿东村片区12栋住宅综合整治" in res.inner_text("[data-testid=notice-summary]")
    res.get_by_label("署名").fill("周桂兰")
    res.get_by_label("联系方式（电话或电子邮箱）").fill("13700001234")
    res.get_by_label("内容").fill(OPINION)
    res.click("[data-testid=comment-form] button[type=submit]")
    assert "您的意见已提交" in res.inner_text("[data-testid=thanks]")
    res.click("[data-testid=back-to-notice]")
    assert OPINION in res.inner_text("[data-testid=comments]") and "13700001234" not in res.content()
    assert Comment.objects.get(notice=notice).body == OPINION
    res.screenshot(path=str(screenshot_dir / "plans-e2e-public-notice.png"), full_page=True)
    res.context.close()
    assert not errors, errors

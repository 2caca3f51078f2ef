"""Owners vote with one-time codes in a real browser (Debian chromium through Playwright), live server.

The entity's clerk creates the vote on the plan, imports the owners' register, issues the codes (the
letters are a real docx download, read back with python-docx), and enters one paper ballot with its scan.
Owners, without logging in, vote on the public site with the codes from their letters: one buyer with two
units votes once for both, a used code is refused in Chinese, one owner changes their vote with the
receipt. Nothing of the result shows before close; after close the page and the certificate (docx) show
the right figures and the SHA-256 of the downloaded ballot list.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from docx import Document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REGISTER = "楼栋,单元,房号,业主,专有部分面积,建设单位未售\n" \
    "3,1,101,张三,80,否\n3,1,102,张三,60,否\n3,1,201,李四,90,否\n3,1,202,王五,70,否\n3,1,301,,100,是\n"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def scene(regions, make_user):
    from cityrenew.core.choices import OrganisationKind
    from cityrenew.core.models import Organisation, Region, RoleAssignment
    from cityrenew.plans.choices import PlanState
    from cityrenew.plans.models import ImplementationPlan
    from cityrenew.projects.models import RenewalProject

    zhongyuan = Region.objects.get(code="410102")
    project = RenewalProject.objects.create(code="K202201005", name="建设路老旧小区改造", city=zhongyuan.parent,
                                            total_investment=Decimal("5"), category="old_community", status="library")
    project.districts.add(zhongyuan)
    entity = Organisation.objects.create(name="中原区城市更新实施有限公司", kind=OrganisationKind.ENTITY, region=zhongyuan)
    plan = ImplementationPlan.objects.create(code="SSFA-2026-001", title="建设路小区改造实施方案", project=project,
                                             district=zhongyuan, entity=entity, state=PlanState.CONSULTATION)
    clerk = make_user("shishi", None, None, first_name="实施主体填报员")
    RoleAssignment.objects.create(user=clerk, role="entity_editor", region=zhongyuan, organisation=entity)
    return plan


def _public_vote(browser, live_server, vote_pk, action, code, choice):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(15000)
    pg.goto(live_server.url + "/public/vote/")
    pg.get_by_role("link", name="小区综合改造（含外立面改建）").click()
    pg.wait_for_url(f"**/public/vote/{vote_pk}/")
    form = pg.locator(f"[data-testid={action}-form]")
    form.locator("input[type=text], input:not([type])").first.fill(code)
    form.get_by_label(choice).check()
    form.locator("button[type=submit]").click()
    pg.wait_for_load_state()
    return ctx, pg


def test_owners_vote_with_codes_and_the_certificate_shows_the_result(browser, page, live_server, scene, tmp_path,
                                                                     screenshot_dir):
    from cityrenew.ballots.models import Ballot, Vote

    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", "shishi")
    page.fill("input[name=password]", "pass-shishi")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/plans/")  # an entity starts from its plans

    # --- the entity creates the vote, imports the register, issues the codes ---
    now = timezone.localtime()
    page.goto(live_server.url + "/plans/votes/new/")
    page.select_option("select[name=plan]", label=str(scene))
    page.fill("input[name=title]", "小区综合改造（含外立面改建）")
    page.select_option("select[name=matter]", "major")
    page.fill("input[name=opens_at]", (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=closes_at]", (now + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    page.click("form button[type=submit]")
    vote = Vote.objects.get(title="小区综合改造（含外立面改建）")
    page.wait_for_url(f"**/plans/votes/{vote.pk}/")
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
    assert sorted(codes) == ["3栋1单元101", "3栋1单元102", "3栋1单元201", "3栋1单元202", "3栋1单元301"]

    # --- a paper ballot with its scan: 王五 agrees ---
    page.goto(live_server.url + f"/plans/votes/{vote.pk}/")
    page.select_option("[data-testid=paper-form] select[name=unit]", label="3栋1单元202（王五）")
    page.locator("[data-testid=paper-form]").get_by_label("同意").check()
    scan = tmp_path / "王五表决票.pdf"
    scan.write_bytes(PDF)
    page.set_input_files("[data-testid=paper-form] input[type=file]", str(scan))
    page.click("[data-testid=paper-form] button[type=submit]")
    page.wait_for_load_state()
    assert "已录入3栋1单元202（王五）的纸质表决票" in page.inner_text(".messages")

    # --- owners vote on the public site ---
    ctx, pg = _public_vote(browser, live_server, vote.pk, "cast", codes["3栋1单元101"], "同意")
    assert pg.inner_text("h1") == "表决已提交"
    assert pg.inner_text("[data-testid=receipt-units]").split("\n") == ["3栋1单元101（80.00 ㎡）", "3栋1单元102（60.00 ㎡）"]
    pg.screenshot(path=str(screenshot_dir / "ballots-receipt.png"), full_page=True)
    ctx.close()
    ctx, pg = _public_vote(browser, live_server, vote.pk, "cast", codes["3栋1单元101"], "反对")  # the used code again
    assert "该表决码已使用，不能再次投票" in pg.inner_text("[data-testid=vote-error]")
    ctx.close()
    ctx, pg = _public_vote(browser, live_server, vote.pk, "cast", codes["3栋1单元201"], "反对")
    receipt = pg.inner_text("[data-testid=receipt-code]")
    ctx.close()
    ctx, pg = _public_vote(browser, live_server, vote.pk, "change", receipt, "同意")  # 李四 changes his mind
    assert pg.inner_text("h1") == "表决意见已修改" and pg.inner_text("[data-testid=receipt-choice]") == "同意"
    ctx.close()
    assert sorted(Ballot.objects.filter(vote=vote).values_list("person", flat=True)) == ["张三", "李四", "王五"]

    # --- nothing of the result before close ---
    page.goto(live_server.url + f"/plans/votes/{vote.pk}/")
    assert page.inner_text("[data-testid=turnout]").startswith("已表决业主 3 / 4 人，专有部分 4 / 5 个")
    assert page.locator("[data-testid=vote-result]").count() == 0

    # --- the vote closes (time passes) ---
    vote.closes_at = timezone.now() - dt.timedelta(seconds=1)
    vote.save()
    page.goto(live_server.url + f"/plans/votes/{vote.pk}/")
    assert page.inner_text("[data-testid=vote-outcome]") == "通过"
    page.screenshot(path=str(screenshot_dir / "ballots-result.png"), full_page=True)
    with page.expect_download() as dl:
        page.click("[data-testid=ballots-csv-link]")
    listing = Path(dl.value.path()).read_bytes()
    with page.expect_download() as dl:
        page.click("[data-testid=certificate-link]")
    cert = tmp_path / "certificate.docx"
    dl.value.save_as(cert)
    doc = Document(str(cert))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "表决结果：通过" in text
    sha = re.search(r"SHA-256：([0-9a-f]{64})", text).group(1)
    assert sha == hashlib.sha256(listing).hexdigest() == page.inner_text("[data-testid=ballots-sha256]")
    figures = [[c.text for c in r.cells] for r in doc.tables[0].rows][1:]
    # 4 persons (张三's two units one person, the developer's unit one person), 400 ㎡; 3 took part, all agree
    assert figures == [["业主总计", "4", "400.00"], ["参与表决", "3", "300.00"], ["同意", "3", "300.00"]]
    # the public page shows the same result, without the owners' names
    pub = browser.new_context(locale="zh-CN").new_page()
    pub.goto(live_server.url + f"/public/vote/{vote.pk}/")
    assert pub.inner_text("[data-testid=vote-outcome]") == "通过" and "张三" not in pub.content()
    pub.context.close()
    assert not errors

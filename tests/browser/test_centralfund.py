"""The central-fund application and selection in a real Chromium: a city fills its application (gate,
flagship area, a file of its package) and is told what the gate still lacks; the ministry enters the
written scores of 25 cities, is refused a file with two cities of one province (nothing saved), and
fixes the defence list at 24 for 20 places."""

from __future__ import annotations

import re

import pytest
from conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CITIES = [("北京市", "北京市"), ("上海市", "上海市"), ("天津市", "天津市"), ("重庆市", "重庆市"), ("四川省", "成都市"),
          ("河南省", "郑州市"), ("广东省", "广州市"), ("江苏省", "南京市"), ("浙江省", "杭州市"), ("湖北省", "武汉市"),
          ("湖南省", "长沙市"), ("陕西省", "西安市"), ("山东省", "济南市"), ("福建省", "福州市"), ("安徽省", "合肥市"),
          ("江西省", "南昌市"), ("山西省", "太原市"), ("河北省", "石家庄市"), ("辽宁省", "沈阳市"), ("吉林省", "长春市"),
          ("黑龙江省", "哈尔滨市"), ("云南省", "昆明市"), ("贵州省", "贵阳市"), ("甘肃省", "兰州市"), ("广西壮族自治区", "南宁市")]


def _csv(rows) -> str:
    return "城市, 省份, 书面评审得分\n" + "".join(f"{c}, {p}, {s}\n" for p, c, s in rows)


def test_city_fills_application(page, live_server, city_admin, settings, tmp_path, screenshot_dir):
    settings.MEDIA_ROOT = tmp_path
    login(page, live_server, "cityadmin", "pass-cityadmin")
    page.goto(live_server.url + "/funding/central/")
    page.click("[data-testid=new-application]")
    page.select_option("#id_city", label="郑州市")
    page.select_option("#id_size_class", "mega")
    page.fill("#id_key_basin", "黄河")
    page.fill("#id_old_city_scope", "二七区、管城区老城区")
    page.fill("#id_requested_subsidy", "10.5")
    page.click("[data-testid=save]")
    assert "每个城市补助总额上限 10 亿元" in page.inner_text("[data-field=requested_subsidy]")
    page.fill("#id_requested_subsidy", "10")
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=state]")
    assert page.inner_text("[data-testid=state]") == "编制中"
    assert "中部地区 10" in page.inner_text("[data-testid=cap]")

    block = page.locator("[data-testid=condition-1]")
    block.locator("select").select_option("1")
    block.locator("textarea").fill("已成立市城市更新工作领导小组")
    page.click("[data-testid=save-condition-1]")
    assert "满足 · 已成立市城市更新工作领导小组" in page.inner_text("[data-testid=condition-1]")

    form = page.locator("[data-testid=flagship-form]")
    form.locator("select[name=kind]").select_option("area")
    form.locator("select[name=category]").select_option("4")
    form.locator("input[name=name]").fill("德化街历史文化街区")
    form.locator("button[type=submit]").click()
    assert "德化街历史文化街区" in page.inner_text("#flagships")

    pdf = tmp_path / "领导小组文件.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    form = page.locator("[data-testid=file-form]")
    form.locator("select[name=kind]").select_option("condition_1")
    form.locator("input[name=name]").fill("领导小组文件")
    form.locator("input[name=file]").set_input_files(str(pdf))
    form.locator("input[name=classified_checked]").check()
    form.locator("button[type=submit]").click()
    assert "领导小组文件" in page.inner_text("[data-testid=condition-1]")
    problems = page.inner_text("[data-testid=gate-problems]")
    assert "基础条件2" in problems and "基础条件3" in problems and "基础条件1" not in problems
    # the city cannot recommend itself: only the province may (三、（一）)
    assert page.locator("[data-testid=move-recommended]").count() == 0
    page.screenshot(path=str(screenshot_dir / "centralfund-application.png"), full_page=True)


def test_ministry_shortlists_20_places(page, live_server, regions, tmp_path, screenshot_dir):
    from django.contrib.auth import get_user_model

    from cityrenew.centralfund.models import Candidate

    get_user_model().objects.create_superuser("mof", password="pass-mof")
    login(page, live_server, "mof", "pass-mof")
    page.goto(live_server.url + "/funding/central/")
    page.click("[data-testid=new-round]")
    page.fill("#id_year", "2025")
    page.fill("#id_places", "20")
    page.click("[data-testid=save]")
    assert page.inner_text("[data-testid=shortlist-size]").startswith("24")

    bad = tmp_path / "bad.csv"
    bad.write_text(_csv([(p, c, f"{90 - i}") for i, (p, c) in enumerate(CITIES[:6])] + [("四川省", "绵阳市", "85")]),
                   encoding="utf-8")
    page.set_input_files("[data-testid=scores-form] input[type=file]", str(bad))
    page.click("[data-testid=upload-scores]")
    assert "四川省已推荐成都市（第 6 行），又推荐绵阳市；每省（区、市）只可推荐1个城市参评" in page.inner_text(".messages")
    assert Candidate.objects.count() == 0

    good = tmp_path / "scores.csv"
    good.write_text(_csv([(p, c, f"{95.5 - 1.5 * i:.1f}") for i, (p, c) in enumerate(CITIES)]), encoding="utf-8")
    page.set_input_files("[data-testid=scores-form] input[type=file]", str(good))
    page.click("[data-testid=upload-scores]")
    assert "已录入 25 个城市" in page.inner_text(".messages")
    page.click("[data-testid=make-shortlist]")
    assert "24 个城市进入现场答辩" in page.inner_text(".messages")
    assert page.inner_text("[data-testid=stage]") == "现场答辩"
    assert page.locator("[data-testid=candidate][data-status=shortlisted]").count() == 24
    last = page.locator("[data-testid=candidate][data-status=not_shortlisted]")
    assert last.count() == 1 and "南宁市" in last.inner_text()
    first = page.locator("[data-testid=candidate]").first.inner_text()
    assert re.match(r"1\s+北京市", first)
    page.screenshot(path=str(screenshot_dir / "centralfund-round.png"), full_page=True)


def test_province_recommends_and_submission_checks_the_package(page, live_server, regions, make_user):
    from cityrenew.centralfund.choices import Condition
    from cityrenew.centralfund.models import Application, ApplicationFile, EligibilityCondition, FlagshipItem, MechanismItem

    make_user("henan", "city_admin", "410000", first_name="河南省住建厅")
    app = Application.objects.create(city=regions["郑州市"], year=2025, old_city_scope="老城区", authenticity_commitment=True)
    for cond in Condition:
        EligibilityCondition.objects.create(application=app, condition=cond.value, met=True)
        ApplicationFile.objects.create(application=app, kind=f"condition_{cond.value}", name=f"条件{cond.value}",
                                       medium="disc", size=10**9, classified_checked=True)
    for kind, size in (("work_plan", 10**9), ("joint_document", 10**6), ("other", 4 * 10**9)):
        ApplicationFile.objects.create(application=app, kind=kind, name=kind, medium="disc", size=size, classified_checked=True)
    FlagshipItem.objects.create(application=app, category=1, name="供水管网更新")
    MechanismItem.objects.create(application=app, category=2, name="专项债券配套")

    login(page, live_server, "henan", "pass-henan")
    page.goto(live_server.url + app.get_absolute_url())
    page.click("[data-testid=move-recommended]")
    assert page.inner_text("[data-testid=state]") == "省级已推荐"
    page.click("[data-testid=move-submitted]")  # 3 + 1 + 0.001 + 4 GB > 8 GB
    assert "超过 8GB（按 8×10⁹ 字节计）1,000,000 字节" in page.inner_text(".messages")
    assert page.inner_text("[data-testid=state]") == "省级已推荐"
    ApplicationFile.objects.filter(kind="other").update(size=4 * 10**9 - 10**6)  # now exactly 8 GB
    page.click("[data-testid=move-submitted]")
    assert page.inner_text("[data-testid=state]") == "已报送"
    assert "省级已推荐\t已报送\t河南省住建厅" in page.inner_text("#workflow")

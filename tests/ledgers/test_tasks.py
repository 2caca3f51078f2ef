"""Stored verdicts, the evaluation job, task lists and progress, exports, ledger rows → draft project,
check-up indicator 2 from the equipment ledger, and who sees what (real database, real job runner)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from cityrenew.core.models import AuditLog
from cityrenew.jobs.models import Job, JobStatus
from cityrenew.jobs.runner import run_pending
from cityrenew.ledgers.models import Equipment
from cityrenew.ledgertasks.models import (
    CityRuleSettings,
    LedgerProjectLink,
    LedgerVerdict,
)
from cityrenew.ledgertasks.services import (
    attach_gas_indicator,
    deadline_for,
    evaluate_ledger,
    gas_hazard_count,
    no_deadline_text,
    progress_by,
    task_lines,
)

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


def login(client, user) -> None:
    assert client.login(username=user.username, password="pass-" + user.username)


def eq(code, region, **kw):
    row = Equipment(code=code, name=code, region=region, **kw)
    row.save()
    return row


@pytest.fixture
def ledger(regions):
    """Hebei rules: steel gas pipes 满20年 with a hazard are 强制更新 (HE-2-1c); 35 t/h coal boilers are not."""
    zy, eqd = regions["中原区"], regions["二七区"]
    return {
        # 20 full years on 2026-06-30 → mandatory; 2.5 km
        "gas20": eq("GAS-ZY-20", zy, category="燃气管道", material="钢质", commissioned=date(2006, 6, 30), hazard=True,
                    inspection="允许使用", length_km="2.5"),
        # 19 years 364 days → not mandatory
        "gas19": eq("GAS-ZY-19", zy, category="燃气管道", material="钢质", commissioned=date(2006, 7, 1), hazard=True,
                    inspection="允许使用", length_km="4.0"),
        # grey cast iron → mandatory whatever its age; already renewed; 1.5 km
        "grey": eq("GAS-ZY-GREY", zy, category="燃气管道", material="灰口铸铁", commissioned=date(2020, 1, 1), hazard=False,
                   inspection="允许使用", length_km="1.5", status="renewed"),
        # Erqi: grey cast iron 3 km → mandatory
        "grey_eq": eq("GAS-EQ-GREY", eqd, category="燃气管道", material="灰口铸铁", commissioned=date(2015, 1, 1), hazard=False,
                      inspection="允许使用", length_km="3"),
        # Erqi: a boiler whose emissions fail → mandatory (HE-2-4b); counted in 台
        "boiler": eq("BLR-EQ-1", eqd, category="燃煤锅炉", capacity_tph="40", efficiency_grade="1级", emission_ok=False,
                     commissioned=date(2010, 1, 1)),
    }


def test_evaluation_stores_a_verdict_per_row_with_fired_rules(ledger, regions, city_admin):
    city = regions["郑州市"]
    run = evaluate_ledger("equipment", city, province="河北省", as_of=AS_OF, user=city_admin)
    assert run.rows == 5 and LedgerVerdict.objects.count() == 5
    v20 = LedgerVerdict.objects.get(code="GAS-ZY-20")
    assert v20.verdict == "强制更新" and v20.province == "河北省" and v20.as_of == AS_OF and v20.evaluated_by == city_admin
    rule = next(r for r in v20.rules if r["id"] == "HE-2-1c")
    assert rule["document"] and rule["article"] and "20" in rule["reason"] and rule["source"].startswith("《")
    assert v20.ruleset_version == run.ruleset_version and run.ruleset_version
    v19 = LedgerVerdict.objects.get(code="GAS-ZY-19")
    assert v19.verdict == "不需更新" and not [r for r in v19.rules if r["id"] == "HE-2-1c"]
    assert run.counts["强制更新"] == 4
    # the run is audited once; a second evaluation replaces the verdicts
    assert AuditLog.objects.filter(object_id=str(run.pk), content_type__model="ledgerevaluation").exists()
    evaluate_ledger("equipment", city, province="河北省", as_of=date(2026, 7, 1))
    assert LedgerVerdict.objects.count() == 5
    assert LedgerVerdict.objects.get(code="GAS-ZY-19").verdict == "强制更新"  # 20 full years on 2026-07-01


def test_a_province_without_a_catalogue_is_refused(ledger, regions):
    from cityrenew.ledgers.rules import RuleError

    with pytest.raises(RuleError):
        evaluate_ledger("equipment", regions["郑州市"], province="西藏自治区", as_of=AS_OF)
    assert not LedgerVerdict.objects.exists()


def test_evaluation_job_from_the_list_page_by_a_city_admin_only(client, ledger, city_admin, zhongyuan_editor):
    login(client, zhongyuan_editor)
    assert client.post("/ledgers/tasks/equipment/", {"province": "河北省", "as_of": "2026-06-30"}).status_code == 403
    assert not Job.objects.exists()
    client.logout()
    login(client, city_admin)
    assert "更新判定与任务清单" in client.get("/ledgers/equipment/").content.decode()
    r = client.post("/ledgers/tasks/equipment/", {"province": "河北省", "as_of": "2026-06-30"})
    assert r.status_code == 302
    job = Job.objects.get(kind="ledgers.evaluate")
    assert run_pending() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert "河北省" in job.result_summary["text"] and "强制更新 4 行" in job.result_summary["text"]
    assert LedgerVerdict.objects.filter(verdict="强制更新").count() == 4


def test_task_lines_by_district_and_category_with_progress(ledger, regions, city_admin):
    city = regions["郑州市"]
    evaluate_ledger("equipment", city, province="河北省", as_of=AS_OF)
    lines = {(l.district, l.category): l for l in task_lines("equipment", city)}
    zy_gas = lines[("中原区", "燃气管道")]
    assert (zy_gas.unit, zy_gas.target, zy_gas.completed, zy_gas.rows) == ("公里", 4.0, 1.5, 2)  # 2.5 + 1.5 km, 1.5 done
    assert zy_gas.progress_pct == 37.5
    assert zy_gas.deadline.year == 2025  # Hebei gas pipes: 确保2025年上半年完成 (一、 总体要求和工作目标)
    assert (zy_gas.deadline.citation.document, zy_gas.deadline.citation.article) == ("HE-2024-EQUIPMENT", "一、")
    assert zy_gas.per_year == {2026: 2.5} and zy_gas.overdue  # overdue: the rest falls in the evaluation year
    boiler = lines[("二七区", "燃煤锅炉")]
    assert (boiler.unit, boiler.target, boiler.completed) == ("台", 1.0, 0.0)
    assert boiler.deadline.year == 2027 and boiler.per_year == {2026: 1, 2027: 0} and not boiler.overdue
    assert "到2027年" in boiler.deadline.citation.note and boiler.deadline.citation != zy_gas.deadline.citation
    by_d = {(p["name"], p["unit"]): p for p in progress_by(lines.values(), "district")}
    assert by_d[("二七区", "公里")]["target"] == 3.0 and by_d[("中原区", "公里")]["pct"] == 37.5


def test_deadlines_cite_the_article_that_sets_their_year(client, ledger, regions, city_admin):
    henan = deadline_for("河南省", "equipment", "电梯")  # 豫建城建〔2024〕128号 一、（三）: 2028年底前完成强制性更新改造
    assert (henan.year, henan.citation.document, henan.citation.article) == (2028, "HA-2024-128", "一、（三）")
    water = deadline_for("山西省", "equipment", "供水管道")  # 晋: 二、（三）2. 到2025年底完成现存老旧供水管网改造
    assert (water.year, water.citation.article, water.citation.item) == (2025, "二、（三）", "2.")
    assert deadline_for("山西省", "equipment", "电梯").year == 2027  # the plan's general target (一、)
    assert deadline_for("河南省", "community", "城镇老旧小区").citation.document == "GBF-2020-23"
    # a province without a table has no deadline, not another province's
    assert deadline_for("西藏自治区", "equipment", "燃气管道") is None
    assert no_deadline_text("西藏自治区", "equipment") == "未规定"
    # the task list and its export show the year with the article's badge
    evaluate_ledger("equipment", regions["郑州市"], province="河北省", as_of=AS_OF)
    login(client, city_admin)
    html = client.get("/ledgers/tasks/equipment/").content.decode()
    assert 'data-article="HE-2024-EQUIPMENT/' in html or "/policies/HE-2024-EQUIPMENT/" in html
    wb = load_workbook(io.BytesIO(client.get("/ledgers/tasks/equipment/", {"export": "xlsx"}).content))
    gas = next(r for r in wb.active.iter_rows(values_only=True) if r[:2] == ("中原区", "燃气管道"))
    assert gas[8] == "2025年底" and gas[9].startswith("《河北省推进建筑和市政基础设施设备更新工作实施方案》一、")


def test_a_document_without_a_completion_year_gives_none(client, regions, city_admin):
    from cityrenew.ledgers.models import OfficeBuilding

    OfficeBuilding(code="B-1978", name="B-1978", region=regions["中原区"], function="office", built_year=1978).save()
    evaluate_ledger("building", regions["郑州市"], province="北京市", as_of=AS_OF)  # 京建法〔2024〕14号 sets no year
    (line,) = task_lines("building", regions["郑州市"])
    assert line.target == 1.0 and line.deadline is None and line.no_deadline == "文件未规定完成年限"
    assert line.per_year == {} and not line.overdue
    login(client, city_admin)
    assert "文件未规定完成年限" in client.get("/ledgers/tasks/building/").content.decode()
    wb = load_workbook(io.BytesIO(client.get("/ledgers/tasks/building/", {"export": "xlsx"}).content))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[1][8:10] == ("文件未规定完成年限", None)


def test_district_users_see_their_district_only(client, ledger, regions, zhongyuan_editor):
    evaluate_ledger("equipment", regions["郑州市"], province="河北省", as_of=AS_OF)
    lines = task_lines("equipment", regions["郑州市"], user=zhongyuan_editor)
    assert {l.district for l in lines} == {"中原区"}
    login(client, zhongyuan_editor)
    html = client.get("/ledgers/tasks/equipment/").content.decode()
    assert "中原区" in html and "二七区" not in html
    wb = load_workbook(io.BytesIO(client.get("/ledgers/tasks/equipment/verdicts.xlsx").content))
    codes = [r[0] for r in wb.active.iter_rows(min_row=2, values_only=True)]
    assert "GAS-ZY-20" in codes and "BLR-EQ-1" not in codes and "GAS-EQ-GREY" not in codes
    # nor can they put another district's row into a project
    r = client.post("/ledgers/tasks/equipment/project/", {"row": [ledger["boiler"].pk]})
    assert r.status_code == 403 and not LedgerProjectLink.objects.exists()


def test_exports_of_verdicts_and_task_lists(client, ledger, regions, city_admin):
    eq("=1+2", regions["二七区"], category="燃煤锅炉", capacity_tph="40", efficiency_grade="1级", emission_ok=False,
       commissioned=date(2010, 1, 1))  # a formula-like code stays text in the exports
    evaluate_ledger("equipment", regions["郑州市"], province="河北省", as_of=AS_OF)
    login(client, city_admin)
    wb = load_workbook(io.BytesIO(client.get("/ledgers/tasks/equipment/verdicts.xlsx").content))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("编号", "所在区域", "类别", "判定结果")
    gas = next(r for r in rows if r[0] == "GAS-ZY-20")
    formula_like = [c for c in wb.active["A"] if c.value == "=1+2"]
    assert formula_like and all(c.data_type == "s" for c in formula_like)
    assert gas[3] == "强制更新" and "HE-2-1c" in gas[4] and "《" in gas[5]
    wb = load_workbook(io.BytesIO(client.get("/ledgers/tasks/equipment/", {"export": "xlsx"}).content))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("区县", "类别", "单位", "任务量")
    assert ("中原区", "燃气管道", "公里", 4.0) in [r[:4] for r in rows]
    for r in rows:
        for v in r:
            assert not (isinstance(v, str) and v.startswith("="))


def test_rows_to_draft_project_links_both_ways(client, ledger, regions, city_admin):
    evaluate_ledger("equipment", regions["郑州市"], province="河北省", as_of=AS_OF)
    login(client, city_admin)
    page = client.get("/ledgers/tasks/equipment/project/").content.decode()
    assert "GAS-ZY-20" in page and "GAS-ZY-19" not in page  # only rows with a mandatory verdict
    r = client.post("/ledgers/tasks/equipment/project/", {"row": [ledger["gas20"].pk, ledger["grey_eq"].pk]})
    assert r.status_code == 302
    link = LedgerProjectLink.objects.get(code="GAS-ZY-20")
    project = link.project
    assert project.code.startswith(f"K{date.today().year}99") and project.get_status_display() == "谋划"
    assert {d.display_name for d in project.districts.all()} == {"中原区", "二七区"}
    assert "GAS-ZY-20" in project.description and "强制更新" in project.description
    html = client.get(project.get_absolute_url()).content.decode()
    assert "来源台账行" in html and f"/ledgers/equipment/{ledger['gas20'].pk}/" in html
    row_html = client.get(f"/ledgers/equipment/{ledger['gas20'].pk}/").content.decode()
    assert project.code in row_html
    ledger["gas20"].refresh_from_db()
    assert ledger["gas20"].status == "planned"
    # a row already in a project cannot be used twice
    r = client.post("/ledgers/tasks/equipment/project/", {"row": [ledger["gas20"].pk]}, follow=True)
    assert "已关联项目" in r.content.decode()


def test_city_rule_settings_are_admin_only_validated_and_audited(client, ledger, regions, city_admin, viewer):
    login(client, viewer)
    assert client.post("/ledgers/tasks/settings/", {"province": "河北省"}).status_code == 403
    client.logout()
    login(client, city_admin)
    r = client.post("/ledgers/tasks/settings/", {"province": "河北省", "readings": "不存在的解读 = 含本数"})
    assert r.status_code == 400 and "不存在的解读" in r.content.decode()
    assert not CityRuleSettings.objects.exists()
    r = client.post("/ledgers/tasks/settings/", {"province": "河北省", "readings": "", "local_rules": ""})
    assert r.status_code == 302
    conf = CityRuleSettings.objects.get()
    assert conf.province == "河北省"
    html = client.get("/ledgers/tasks/settings/").content.decode()
    assert "HE-2-1c" in html and "《河北省推进建筑和市政基础设施设备更新工作实施方案》" in html
    assert AuditLog.objects.filter(object_id=str(conf.pk)).exists()
    # the evaluation uses the city's province when none is chosen
    run = evaluate_ledger("equipment", regions["郑州市"], as_of=AS_OF)
    assert run.province == "河北省"


@pytest.mark.parametrize("commissioned, expected", [(date(2005, 12, 31), 1), (date(2006, 1, 1), 0)])
def test_indicator_2_at_the_20_year_boundary(regions, commissioned, expected):
    """As of 31 Dec 2025 (the 2025 check-up): commissioned 2005-12-31 has 满20年; 2006-01-01 is 19 years 364 days."""
    zy = regions["中原区"]
    eq("GAS-B", zy, category="燃气管道", material="钢质", commissioned=commissioned, hazard=True)
    eq("GAS-NOHAZ", zy, category="燃气管道", material="钢质", commissioned=date(1990, 1, 1), hazard=False)
    eq("WATER", zy, category="供水管道", material="钢质", commissioned=date(1990, 1, 1), hazard=True)
    assert gas_hazard_count(regions["郑州市"], date(2025, 12, 31)) == (expected, 2)


def test_indicator_2_is_attached_to_a_checkup_run_with_its_source(regions, city_admin):
    from cityrenew.checkup.catalogue import SET_2025, load_indicator_sets
    from cityrenew.checkup.models import CheckupRun, IndicatorSet, IndicatorValue
    from cityrenew.checkup.services.runs import create_run

    load_indicator_sets()
    zy = regions["中原区"]
    eq("GAS-1", zy, category="燃气管道", material="钢质", commissioned=date(2005, 12, 31), hazard=True)
    eq("GAS-2", zy, category="燃气管道", material="钢质", commissioned=date(2006, 1, 1), hazard=True)
    run = create_run(regions["郑州市"], 2025, IndicatorSet.objects.get(code=SET_2025), user=city_admin)
    out = attach_gas_indicator(run, city_admin)
    assert out["attached"] and out["value"] == 1
    value = IndicatorValue.objects.get(run=run, indicator__number=2, unit__isnull=True)
    assert value.value == 1 and value.source == "computed"
    assert "设施设备台账" in value.note and "指标2" in value.note
    # the check-up's own evaluation (problem counts) does not overwrite the ledger's value
    from cityrenew.checkup.services.evaluation import evaluate_run

    evaluate_run(run)
    value.refresh_from_db()
    assert value.value == 1 and "设施设备台账" in value.note
    assert isinstance(run, CheckupRun)


def test_cli_checkup_values(regions, city_admin):
    from django.core.management import CommandError, call_command

    from cityrenew.checkup.catalogue import SET_2025, load_indicator_sets
    from cityrenew.checkup.models import IndicatorSet, IndicatorValue
    from cityrenew.checkup.services.runs import create_run

    with pytest.raises(CommandError, match="没有2025年"):
        call_command("ledgers", "checkup-values", "--year", "2025")
    load_indicator_sets()
    eq("GAS-1", regions["中原区"], category="燃气管道", material="钢质", commissioned=date(2000, 1, 1), hazard=True)
    run = create_run(regions["郑州市"], 2025, IndicatorSet.objects.get(code=SET_2025), user=city_admin)
    out = io.StringIO()
    call_command("ledgers", "checkup-values", "--year", "2025", "--user", city_admin.username, stdout=out)
    assert '"value": 1' in out.getvalue()
    assert IndicatorValue.objects.get(run=run, indicator__number=2, unit__isnull=True).value == 1


def test_community_task_list_counts_communities_built_by_2000(client, regions, city_admin):
    from cityrenew.ledgers.models import OldCommunity

    for code, year, status in (("C-2000", 2000, "in_use"), ("C-2001", 2001, "in_use"), ("C-1995", 1995, "renewed")):
        OldCommunity(code=code, name=code, region=regions["中原区"], built_year=year, status=status).save()
    run = evaluate_ledger("community", regions["郑州市"], province="河南省", as_of=AS_OF)
    assert run.counts == {"重点改造对象": 2, "非重点对象": 1}
    assert LedgerVerdict.objects.get(code="C-2000").verdict == "重点改造对象"  # 2000年底前建成 includes 2000
    assert LedgerVerdict.objects.get(code="C-2001").verdict == "非重点对象"
    (line,) = task_lines("community", regions["郑州市"])
    assert (line.district, line.category, line.unit, line.target, line.completed) == ("中原区", "城镇老旧小区", "个", 2.0, 1.0)
    assert line.deadline.year == 2025 and line.overdue  # 国办发〔2020〕23号 一、（三）: “十四五”期末
    assert (line.deadline.citation.document, line.deadline.citation.article) == ("GBF-2020-23", "一、（三）")
    login(client, city_admin)
    html = client.get(f"/ledgers/community/{OldCommunity.objects.get(code='C-2000').pk}/").content.decode()
    assert "重点改造对象" in html and "GBF-2-1" in html and "2000" in html

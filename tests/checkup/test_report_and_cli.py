"""The Word report (opened with python-docx: 60 indicator rows, counts equal the records) and the
``cityrenew checkup`` command line run as a real subprocess on a scratch database (SQLite, or
PostgreSQL in CI's second run)."""

from __future__ import annotations

import io
import json

import pytest
from docx import Document

from cityrenew.checkup import services as svc
from cityrenew.checkup.catalogue import SET_2025
from cityrenew.checkup.models import FieldProblem
from cityrenew.checkup.report import build_report

from .conftest import fill_template, plausible, reopen, to_bytes


def _indicator_rows(doc) -> list[list[str]]:
    rows = []
    for t in doc.tables:
        header = [c.text for c in t.rows[0].cells]
        if header == ["序号", "指标名称", "单位", "数值", "标准", "评价", "趋势"]:
            rows += [[c.text for c in r.cells] for r in t.rows[1:]]
    return rows


@pytest.mark.django_db
def test_report_contains_all_60_indicators_and_the_problem_counts(sets, regions, city_admin, units, dept_user, tmp_path):
    run = svc.create_run(regions["郑州市"], 2025, sets[SET_2025], city_admin)
    for task in run.tasks.select_related("organisation"):
        user = dept_user(f"r{task.pk}", task.organisation)
        wb = fill_template(reopen(svc.department_template(task)), plausible, list(task.indicators.all()))
        assert svc.upload_department_values(task, io.BytesIO(to_bytes(wb)), user).ok
    s = sets[SET_2025]
    for number, code, sub in ((2, "T-B01", "2.2.1"), (2, "T-B02", "2.2.1"), (2, "T-B02", "2.2.2"), (3, "T-B03", "2.3.7"), (17, "T-X01", "17.1")):
        svc.record_problem(run, s.indicators.get(number=number), units[code], city_admin, sub_problem=sub, description="现场核查")
    svc.evaluate_run(run)
    out = build_report(run, tmp_path / "report.docx")
    doc = Document(str(tmp_path / "report.docx"))
    rows = _indicator_rows(doc)
    assert len(rows) == 60 and [int(r[0]) for r in rows] == list(range(1, 61))
    by_number = {int(r[0]): r for r in rows}
    assert by_number[2][1] == "存在燃气安全隐患的住宅数量" and by_number[2][3] == "2"  # 2 buildings, 3 records
    assert by_number[3][3] == "1" and by_number[17][3] == "1"
    assert by_number[30][3] == "80" and by_number[30][5] == "达标" and by_number[30][4] == "≥70%"
    text = "\n".join(p.text for p in doc.paragraphs)
    total = FieldProblem.objects.filter(run=run).count()
    assert f"共记录问题{total}个" in text and total == 5
    # the statistics table: problems per indicator equal the records
    stats = next(t for t in doc.tables if [c.text for c in t.rows[0].cells][:4] == ["序号", "指标名称", "问题数", "涉及单元数"])
    counts = {int(r.cells[0].text): (int(r.cells[2].text), int(r.cells[3].text)) for r in stats.rows[1:]}
    assert counts == {2: (3, 2), 3: (1, 1), 17: (1, 1)}
    # problems grouped by 街区 and 小区
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "绿东村街区（4个问题）" in headings and "伏牛路小区（4个问题）" in headings and "建中街小区（1个问题）" in headings
    assert len(doc.inline_shapes) == 3  # two charts and the map figure
    assert out["indicators"] == 60 and out["problems"] == 5


def test_cli_indicators_json_and_report(tmp_path, migrated_cli):
    def _cli(args, env):
        return migrated_cli(*args, **env)

    env = {"CITYRENEW_DATA_DIR": str(tmp_path / "data")}
    r = _cli(["checkup", "indicators", "--set", "MOHURD-2025", "--format", "json"], env)
    assert r.returncode == 0, r.stderr
    items = json.loads(r.stdout)
    assert len(items) == 60
    for key in ("number", "dimension", "group", "name", "unit", "method", "source"):
        assert key in items[0]
    assert items[21] | {} and items[21]["number"] == 22 and items[21]["name"] == "中学服务半径覆盖率"
    assert items[21]["dimension"] == "街区" and items[21]["method"] == "spatial" and "指标22" in items[21]["source"]
    assert [i["dimension"] for i in items].count("城区（城市）") == 31
    from cityrenew.catalogue.indicator_texts import read_texts

    assert (items[21]["definition_zh"], items[21]["standard_zh"]) == (read_texts()[22].definition, "")
    assert items[29]["standard_zh"] == read_texts()[30].standard != ""
    r = _cli(["checkup", "indicators", "--set", "MOHURD-2024", "--format", "json"], env)
    assert len(json.loads(r.stdout)) == 61
    r = _cli(["checkup", "sets", "--format", "json"], env)
    diff = json.loads(r.stdout)["diff"]
    assert [d["name"] for d in diff["added"]] == ["问题整治完成率"]
    assert len(diff["dropped"]) == 2 and len(diff["replaced"]) == 4 and len(diff["renamed"]) == 3
    r = _cli(["checkup", "report", "--city", "郑州市", "--year", "2025", "--out", str(tmp_path / "x.docx")], env)
    assert r.returncode != 0 and "找不到城市“郑州市”" in r.stderr  # regions not loaded yet
    # with the demo loaded the report is written and opens with python-docx
    r = _cli(["demo", "--no-serve"], env)
    assert r.returncode == 0, r.stderr[-2000:]
    # the demo's check-up draft project (谋划) is not in the library: the printed totals hold
    r = _cli(["projects", "summary", "--format", "json"], env)
    library = json.loads(r.stdout)
    assert (library["total"], library["count"]) == ("7895.45", 276)
    out = tmp_path / "郑州2025.docx"
    r = _cli(["checkup", "report", "--city", "郑州市", "--year", "2025", "--out", str(out)], env)
    assert r.returncode == 0, r.stderr
    assert len(_indicator_rows(Document(str(out)))) == 60
    assert (tmp_path / "data" / "reports" / "郑州市2025年城市体检报告.docx").is_file()
    r = _cli(["checkup", "evaluate", "--city", "郑州市", "--year", "2025"], env)
    assert r.returncode == 0 and "60项指标" in r.stdout

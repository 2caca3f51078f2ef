"""``cityrenew ledgers evaluate``: the JSON contract on a small ledger file, and bad input in Chinese."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

REPO = Path(__file__).resolve().parents[2]
HEADERS = ["编号", "设备类别", "材质", "投用日期", "额定蒸发量（蒸吨/小时）", "能效等级", "排放达标", "安全隐患", "检验结论", "所在区域"]
ROWS = [
    ["GD-001", "燃气管道", "灰口铸铁", "1998-05-01", "", "", "", "否", "", "越秀区"],
    ["GD-002", "燃气管道", "聚乙烯", "2006-06-30", "", "", "", "是", "", "天河区"],
    ["GD-003", "燃气管道", "聚乙烯", "2006-07-01", "", "", "", "是", "允许使用", "天河区"],
    ["GD-006", "燃气管道", "聚乙烯", "2006-07-01", "", "", "", "是", "", "天河区"],
    ["GD-004", "建筑施工机械", "", "2016-06-30", "", "", "是", "否", "", "海珠区"],
    ["GD-005", "飞艇", "", "2016-06-30", "", "", "", "", "", "海珠区"],
]


def _csv(path: Path, rows=ROWS, headers=HEADERS) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        w.writerows(rows)
    return path


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)}
    return subprocess.run([sys.executable, "-m", "cityrenew.ledgers.cli.evaluate", *args], check=False,
                          capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=120)


def test_evaluate_prints_the_contract_json(tmp_path):
    path = _csv(tmp_path / "ledger.csv")
    proc = _run("--kind", "equipment", "--province", "广东省", "--as-of", "2026-06-30", "--format", "json", str(path))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert list(doc) == ["province", "as_of", "rows", "counts"]
    assert doc["province"] == "广东省" and doc["as_of"] == "2026-06-30"
    by_code = {r["code"]: r for r in doc["rows"]}
    assert [r["code"] for r in doc["rows"]] == [r[0] for r in ROWS]
    assert by_code["GD-001"]["verdict"] == "强制更新"
    assert by_code["GD-001"]["rules"] == [{"id": "GD-2-7a", "source": "《广东省推进建筑和市政基础设施设备更新工作方案》二、（七）"}]
    assert by_code["GD-002"]["verdict"] == "强制更新" and [r["id"] for r in by_code["GD-002"]["rules"]] == ["GD-2-7d"]
    assert by_code["GD-003"]["verdict"] == "不需更新" and by_code["GD-003"]["rules"] == []  # 19 years 364 days
    assert by_code["GD-004"]["verdict"] == "不需更新"  # exactly 10 years is not 超过10年
    assert by_code["GD-005"]["verdict"] == "类别未知"
    assert by_code["GD-006"]["verdict"] == "需评估"  # under 20 years, 检验结论 empty: GD-2-7e cannot be decided
    assert doc["counts"] == {"强制更新": 2, "需评估": 1, "不需更新": 2, "类别未知": 1}
    assert "设备类别“飞艇”不在规则目录的类别中" in proc.stderr


def test_evaluate_reads_xlsx_and_a_city_rule_file(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for r in (r for r in ROWS if r[1] != "飞艇"):
        ws.append(r)
    wb.save(tmp_path / "ledger.xlsx")
    (tmp_path / "city.toml").write_text('province = "广东省"\n[readings]\n"GD-CM-age" = "含本数"\n', encoding="utf-8")
    proc = _run("--kind", "equipment", "--config", str(tmp_path / "city.toml"), "--as-of", "2026-06-30",
                str(tmp_path / "ledger.xlsx"))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["province"] == "广东省"
    assert {r["code"]: r["verdict"] for r in doc["rows"]}["GD-004"] == "强制更新"  # 含本数: exactly 10 years counts


@pytest.mark.parametrize("args,message", [
    (["--province", "江苏省"], "江苏省尚无设施设备更新规则目录"),
    (["--province", "广东省", "--as-of", "2026-13-01"], "评估日期“2026-13-01”格式不正确"),
])
def test_evaluate_refuses_bad_requests_in_chinese(tmp_path, args, message):
    path = _csv(tmp_path / "ledger.csv")
    proc = _run("--kind", "equipment", *args, str(path))
    assert proc.returncode == 1
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_evaluate_reports_bad_cells_and_prints_no_verdicts(tmp_path):
    rows = [r[:] for r in ROWS]
    rows[1][4] = "-3"
    rows[2][3] = "2099-01-01"
    proc = _run("--kind", "equipment", "--province", "广东省", "--as-of", "2026-06-30", str(_csv(tmp_path / "bad.csv", rows)))
    assert proc.returncode == 1 and proc.stdout == ""
    assert "第 3 行「额定蒸发量（蒸吨/小时）」：不能为负数（-3）" in proc.stderr
    assert "第 4 行「投用日期」：日期 2099-01-01 在今天" in proc.stderr


def test_evaluate_buildings(tmp_path):
    headers = ["编号", "名称", "主要功能", "建成年份", "已抗震鉴定加固", "其他安全隐患已鉴定加固", "已节能改造",
               "用能占约束值比例（前年）", "用能占约束值比例（上年）", "所在区域"]
    rows = [["BJ-1", "甲楼", "办公", "1980", "否", "是", "是", "50", "50", "东城区"],
            ["BJ-2", "乙楼", "商业服务业", "2001", "是", "是", "否", "50", "50", "西城区"],
            ["BJ-3", "丙楼", "办公", "2010", "是", "是", "是", "80", "90", "朝阳区"]]
    proc = _run("--kind", "building", "--province", "北京市", "--as-of", "2026-06-30", str(_csv(tmp_path / "b.csv", rows, headers)))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [r["verdict"] for r in doc["rows"]] == ["第一类老旧楼宇", "第二类老旧楼宇", "否"]
    assert doc["rows"][0]["rules"][0]["source"] == "《老旧低效楼宇更新实施办法（试行）》（京建法〔2024〕14号）第二条"
    assert doc["counts"] == {"第一类老旧楼宇": 1, "第二类老旧楼宇": 1, "否": 1}

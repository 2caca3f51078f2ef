"""The ``cityrenew funding cap|shortlist`` contract, run as a user runs it (the console script)."""

from __future__ import annotations

import json
import os

import pytest

from .conftest import default_rows, scores_csv

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def run(migrated_cli):
    def go(*args):
        return migrated_cli(*args, PYTHONPATH=REPO)
    return go


def test_cap_sichuan_and_shanghai(run):
    out = run("funding", "cap", "--province", "四川省")
    assert out.returncode == 0, out.stderr
    assert "西部地区" in out.stdout and "12 亿元" in out.stdout
    data = json.loads(run("funding", "cap", "--province", "上海市", "--format", "json").stdout)
    assert data["region"] == "直辖市" and data["cap_yi"] == 12 and data["unit"] == "亿元"
    assert json.loads(run("funding", "cap", "--province", "浙江省", "--format", "json").stdout)["cap_yi"] == 8
    bad = run("funding", "cap", "--province", "火星")
    assert bad.returncode == 2 and "不是省级行政区名称" in bad.stderr


def test_shortlist_20_places(run, scores_file):
    out = run("funding", "shortlist", str(scores_file), "--places", "20", "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"places", "shortlist", "shortlist_size"}
    assert data["places"] == 20 and data["shortlist_size"] == 24 and len(data["shortlist"]) == 24
    assert data["shortlist"][0] == "北京市" and "南宁市" not in data["shortlist"]


def test_shortlist_refuses_two_cities_of_one_province(run, tmp_path):
    path = tmp_path / "two.csv"
    path.write_text(scores_csv(default_rows(24) + [("绵阳市", "四川省", "70")]), encoding="utf-8")
    out = run("funding", "shortlist", str(path), "--places", "20", "--format", "json")
    assert out.returncode == 2 and out.stdout == ""
    assert "每省（区、市）只可推荐1个城市参评" in out.stderr and "绵阳市" in out.stderr


def test_shortlist_refuses_score_out_of_range(run, tmp_path):
    path = tmp_path / "range.csv"
    path.write_text(scores_csv(default_rows(3) + [("南宁市", "广西", "100.5")]), encoding="utf-8")
    out = run("funding", "shortlist", str(path), "--places", "2")
    assert out.returncode == 2 and "第 5 行「书面评审得分」：得分 100.5 超出范围，应在 0–100 之间" in out.stderr

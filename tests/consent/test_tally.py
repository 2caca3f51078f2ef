"""The owners' vote tally (民法典第二百七十八条; 建筑物区分所有权解释第八条、第九条) at every threshold's edge,
and the ``cityrenew consent tally`` contract as a process."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import pytest
from openpyxl import Workbook

from cityrenew.consent.tally import ConsentError, Unit, tally

COLUMNS = ["房号", "业主", "专有部分面积", "表决"]


def units(*rows: tuple[str, str, str, str]) -> list[Unit]:
    return [Unit(room, owner, Decimal(area), vote, n) for n, (room, owner, area, vote) in enumerate(rows, start=2)]


def each(*spec: tuple[str, str]) -> list[Unit]:
    """One unit per owner: (area, vote) pairs, rooms and owners numbered."""
    return units(*[(f"1-{101 + i}", f"业主{i + 1}", area, vote) for i, (area, vote) in enumerate(spec)])


# --- participation: 三分之二以上 of area and of owners (exactly 2/3 passes) ----------------------------

def test_participation_exactly_two_thirds_of_area_and_owners():
    r = tally(each(("89.37", "同意"), ("89.37", "同意"), ("89.37", "未参与")), "ordinary")
    assert (r.owners_total, r.owners_voted, r.area_total, r.area_voted) == (3, 2, Decimal("268.11"), Decimal("178.74"))
    assert r.participation_ok and r.passed


def test_participation_area_just_below_two_thirds_fails_though_owners_reach_it():
    r = tally(each(("100", "同意"), ("99.99", "同意"), ("100.01", "未参与")), "ordinary")
    assert (r.owners_voted, r.owners_total) == (2, 3)  # owners exactly 2/3
    assert r.area_voted == Decimal("199.99")  # 199.99 / 300 < 2/3
    assert not r.participation_ok and not r.passed
    assert any("面积" in m and "三分之二" in m for m in r.reasons)


def test_participation_owners_below_two_thirds_fails_though_area_reaches_it():
    r = tally(each(("300", "同意"), ("10", "同意"), ("10", "未参与"), ("10", "未参与")), "ordinary")
    assert r.area_voted * 3 >= r.area_total * 2  # area 310 / 330
    assert (r.owners_voted, r.owners_total) == (2, 4)
    assert not r.participation_ok and not r.passed
    assert any("人数" in m and "三分之二" in m for m in r.reasons)


def test_abstention_takes_part_and_not_voting_does_not():
    r = tally(each(("100", "同意"), ("100", "弃权"), ("100", "未参与")), "ordinary")
    assert (r.owners_voted, r.area_voted, r.owners_agree, r.area_agree) == (2, Decimal(200), 1, Decimal(100))
    assert r.participation_ok and not r.passed  # agree exactly half of the participants: 过半数 fails


# --- major matters: 四分之三以上 of the participating area and owners (exactly 3/4 passes) ----------------

def test_major_exactly_three_quarters_passes():
    r = tally(each(("100", "同意"), ("100", "同意"), ("100", "同意"), ("100", "反对")), "major")
    assert (r.owners_agree, r.owners_voted, r.area_agree, r.area_voted) == (3, 4, Decimal(300), Decimal(400))
    assert r.passed


def test_major_area_just_below_three_quarters_fails():
    r = tally(each(("100", "同意"), ("100", "同意"), ("99.99", "同意"), ("100.01", "反对")), "major")
    assert (r.owners_agree, r.owners_voted) == (3, 4)  # owners exactly 3/4
    assert r.participation_ok and not r.passed
    assert any("面积" in m and "四分之三" in m for m in r.reasons)


def test_major_owners_below_three_quarters_fails_though_area_reaches_it():
    r = tally(each(("150", "同意"), ("150", "同意"), ("150", "同意"), ("10", "反对"), ("10", "反对")), "major")
    assert r.area_agree * 4 >= r.area_voted * 3  # 450 / 470
    assert (r.owners_agree, r.owners_voted) == (3, 5)
    assert not r.passed and any("人数" in m and "四分之三" in m for m in r.reasons)


def test_major_abstention_counts_against():
    assert tally(each(("100", "同意"), ("100", "同意"), ("100", "同意"), ("100", "弃权")), "major").passed
    assert not tally(each(("100", "同意"), ("100", "同意"), ("100", "弃权"), ("100", "弃权")), "major").passed


def test_major_needs_participation_even_when_everyone_who_voted_agrees():
    r = tally(each(("100", "同意"), ("100", "未参与"), ("100", "未参与")), "major")
    assert not r.participation_ok and not r.passed


# --- ordinary matters: 过半数 (exactly half fails) -----------------------------------------------------

def test_ordinary_exactly_half_fails_and_just_above_passes():
    half = tally(each(("100", "同意"), ("100", "同意"), ("100", "反对"), ("100", "反对")), "ordinary")
    assert half.participation_ok and not half.passed
    assert tally(each(("100", "同意"), ("100", "同意"), ("100", "同意"), ("100", "反对")), "ordinary").passed


def test_ordinary_area_exactly_half_fails_though_owners_are_more_than_half():
    r = tally(each(("100", "同意"), ("50", "同意"), ("150", "反对")), "ordinary")
    assert (r.owners_agree, r.owners_voted, r.area_agree, r.area_voted) == (2, 3, Decimal(150), Decimal(300))
    assert not r.passed
    assert tally(each(("100", "同意"), ("50", "同意"), ("149.99", "反对")), "ordinary").passed


def test_ordinary_owners_exactly_half_fails_though_area_is_more_than_half():
    r = tally(each(("300", "同意"), ("10", "同意"), ("10", "反对"), ("10", "反对")), "ordinary")
    assert r.area_agree * 2 > r.area_voted
    assert (r.owners_agree, r.owners_voted) == (2, 4) and not r.passed


# --- who is one person (解释第九条) ---------------------------------------------------------------------

def test_one_buyer_with_several_units_is_one_person():
    rows = units(("1-101", "张三", "89.37", "同意"), ("1-102", "张三", "89.37", "同意"), ("1-103", "张三", "89.37", "同意"),
                 ("1-104", "李四", "89.37", "反对"), ("1-105", "王五", "89.37", "反对"))
    r = tally(rows, "ordinary")
    assert (r.owners_total, r.owners_voted, r.owners_agree) == (3, 3, 1)
    assert (r.area_total, r.area_agree) == (Decimal("446.85"), Decimal("268.11"))  # area counts every unit
    assert not r.passed  # by units it would be 3 of 5; by persons 1 of 3


def test_one_buyer_with_conflicting_ballots_is_refused_naming_the_rows():
    rows = units(("1-101", "张三", "90", "同意"), ("1-102", "李四", "90", "同意"), ("1-103", "张三", "90", "反对"))
    with pytest.raises(ConsentError) as e:
        tally(rows, "ordinary")
    assert "业主“张三”的多个专有部分表决不一致（第2行1-101：同意、第4行1-103：反对）" in str(e.value)


def test_developers_unsold_units_are_one_person():
    rows = units(("1-101", "张三", "100", "同意"), ("1-102", "李四", "100", "同意"), ("1-103", "王五", "100", "同意"),
                 ("1-201", "建设单位", "100", "未参与"), ("1-202", "建设单位", "100", "未参与"),
                 ("1-203", "建设单位", "100", "未参与"))
    r = tally(rows, "ordinary")
    assert (r.owners_total, r.owners_voted) == (4, 3)  # 3 of 4 owners take part (≥ 2/3)
    assert (r.area_total, r.area_voted) == (Decimal(600), Decimal(300))  # but only half the area
    assert not r.participation_ok and not r.passed
    # once the developer sells two of them to one buyer who votes, area and owners both reach it
    rows[3:5] = units(("1-201", "赵六", "100", "同意"), ("1-202", "赵六", "100", "同意"))[:2]
    r = tally(rows, "ordinary")
    assert (r.owners_total, r.owners_voted, r.area_voted) == (5, 4, Decimal(500)) and r.passed


# --- the CLI contract ------------------------------------------------------------------------------------

def write_csv(path, rows, header=COLUMNS, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


ROWS = [["1-101", "张三", "89.37", "同意"], ["1-102", "张三", "100.5", "同意"], ["1-103", "李四", "120", "同意"],
        ["1-104", "王五", "95.25", "反对"], ["1-201", "建设单位", "110", "未参与"], ["1-202", "建设单位", "110", "未参与"]]


def test_cli_json_contract(cityrenew_cli, tmp_path):
    path = write_csv(tmp_path / "votes.csv", ROWS)
    done = cityrenew_cli("consent", "tally", str(path), "--matter", "major", "--format", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc == {"owners_total": 4, "area_total": "625.12", "owners_voted": 3, "area_voted": "405.12",
                   "owners_agree": 2, "area_agree": "309.87", "participation_ok": False, "passed": False}
    assert list(doc) == ["owners_total", "area_total", "owners_voted", "area_voted", "owners_agree", "area_agree",
                         "participation_ok", "passed"]
    # 405.12 / 625.12 < 2/3 by area (owners 3/4 ≥ 2/3): not valid, for any matter
    done = cityrenew_cli("consent", "tally", str(path), "--matter", "ordinary", "--format", "json")
    assert json.loads(done.stdout)["participation_ok"] is False


def test_cli_gbk_csv_and_xlsx_and_text(cityrenew_cli, tmp_path):
    rows = ROWS[:4]
    gbk = write_csv(tmp_path / "votes_gbk.csv", rows, encoding="gbk")
    done = cityrenew_cli("consent", "tally", str(gbk), "--matter", "ordinary", "--format", "json")
    assert done.returncode == 0, done.stderr
    expected = {"owners_total": 3, "area_total": "405.12", "owners_voted": 3, "area_voted": "405.12",
                "owners_agree": 2, "area_agree": "309.87", "participation_ok": True, "passed": True}
    assert json.loads(done.stdout) == expected
    wb = Workbook()
    ws = wb.active
    ws.append(COLUMNS)
    for room, owner, area, vote in rows:
        ws.append([room, owner, float(area), vote])
    wb.save(tmp_path / "votes.xlsx")
    done = cityrenew_cli("consent", "tally", str(tmp_path / "votes.xlsx"), "--matter", "ordinary", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == expected
    done = cityrenew_cli("consent", "tally", str(gbk), "--matter", "major")
    assert done.returncode == 0 and "表决结果（《中华人民共和国民法典》第二百七十八条）：未通过" in done.stdout


@pytest.mark.parametrize("rows, header, message", [
    ([["1-101", "张三", "89.37", "同意"]], ["房号", "业主", "面积", "表决"], "第1行（表头）缺少列：专有部分面积"),
    ([["1-101", "张三", "-89.37", "同意"]], COLUMNS, "第2行“专有部分面积”：面积须大于0"),
    ([["1-101", "张三", "八十九", "同意"]], COLUMNS, "第2行“专有部分面积”：“八十九”不是数字"),
    ([["1-101", "张三", "89.37", "赞成"]], COLUMNS, "第2行“表决”：“赞成”不是有效的表决"),
    ([["1-101", "张三", "89.37", "同意"], ["1-101", "李四", "90", "同意"]], COLUMNS, "第3行“房号”：“1-101”与第2行重复"),
    ([], COLUMNS, "文件中没有表决数据行"),
])
def test_cli_bad_input_exit_2_in_chinese(cityrenew_cli, tmp_path, rows, header, message):
    path = write_csv(tmp_path / "bad.csv", rows, header=header)
    done = cityrenew_cli("consent", "tally", str(path), "--matter", "major", "--format", "json")
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr


def test_cli_empty_file(cityrenew_cli, tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    done = cityrenew_cli("consent", "tally", str(tmp_path / "empty.csv"), "--matter", "ordinary", "--format", "json")
    assert done.returncode == 2 and "文件“empty.csv”是空文件" in done.stderr


def test_cli_damaged_xlsx(cityrenew_cli, tmp_path):
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    done = cityrenew_cli("consent", "tally", str(tmp_path / "bad.xlsx"), "--matter", "ordinary", "--format", "json")
    assert done.returncode == 2 and "文件“bad.xlsx”不是有效的 xlsx 文件" in done.stderr and "Traceback" not in done.stderr

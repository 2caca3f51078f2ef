"""The working-day calendar across National Day and the Spring Festival, counted as 民法典 arts. 201–203 count.

Every expected date below was worked out by hand from the State Council's notices as the
``chinese-calendar`` package records them (checked against the package, see the first test):

* 2025 National Day + Mid-Autumn (国办发明电〔2024〕12号): 10-01 to 10-08 off; Sunday 09-28 and
  Saturday 10-11 are adjusted working days (调休上班).
* 2025 Spring Festival: 01-28 to 02-04 off; Sunday 01-26 and Saturday 02-08 are working days.
* 2026 Spring Festival (国办发明电〔2025〕7号): 02-15 to 02-23 off; Saturdays 02-14 and 02-28 are working days.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from cityrenew.core.models import AuditLog
from cityrenew.workdays.calendar import (
    CalendarError,
    add_days,
    add_workdays,
    is_workday,
    workdays_between,
)
from cityrenew.workdays.models import HolidayNotice, HolidayNoticeDay
from cityrenew.workdays.notices import load_notice

D = dt.date.fromisoformat

# A MADE-UP notice for 2031 (TEST DATA, not a real State Council notice): 元旦 01-01 (Wed) off;
# 春节 01-22 (Wed) to 01-28 (Tue) off; Sunday 01-19 and Saturday 02-08 adjusted working days.
NOTICE_2031 = """
year = 2031
number = "测试〔2030〕1号"
title = "测试数据：2031年部分节假日安排（虚构）"
issued = 2030-11-01
source = "本文件为测试虚构的数据，不是国务院办公厅的通知。"

[[day]]
name = "元旦"
kind = "放假"
from = 2031-01-01

[[day]]
name = "春节"
kind = "放假"
from = 2031-01-22
to = 2031-01-28

[[day]]
name = "春节"
kind = "调休上班"
from = 2031-01-19

[[day]]
name = "春节"
kind = "调休上班"
from = 2031-02-08
"""


def test_the_package_holds_the_official_days_the_expectations_rely_on():
    holidays, workdays = chinese_calendar.constants.holidays, chinese_calendar.constants.workdays
    assert all(D("2025-10-01") + dt.timedelta(i) in holidays for i in range(8))
    assert {D("2025-09-28"), D("2025-10-11"), D("2025-01-26"), D("2025-02-08"), D("2026-02-14"), D("2026-02-28")} <= set(workdays)
    assert all(D("2025-01-28") + dt.timedelta(i) in holidays for i in range(8))
    assert all(D("2026-02-15") + dt.timedelta(i) in holidays for i in range(9))


@pytest.mark.django_db
@pytest.mark.parametrize("day, expected", [
    ("2025-09-27", False),  # Saturday
    ("2025-09-28", True),   # Sunday, 调休上班
    ("2025-10-08", False),  # last day of the National Day holiday (a Wednesday)
    ("2025-10-09", True),
    ("2025-10-11", True),   # Saturday, 调休上班
    ("2025-10-12", False),  # Sunday
    ("2026-02-14", True),   # Saturday before the 2026 Spring Festival, 调休上班
    ("2026-02-23", False),  # a Monday, still Spring Festival
])
def test_is_workday(day, expected):
    assert is_workday(D(day)) is expected


@pytest.mark.django_db
@pytest.mark.parametrize("start, n, end", [
    # the start day is not counted (art. 201): Friday 09-26 + 1 → Sat 09-27 is rest, Sun 09-28 works
    ("2025-09-26", 0, "2025-09-26"),
    ("2025-09-26", 1, "2025-09-28"),
    ("2025-09-22", 1, "2025-09-23"),  # an ordinary Monday: the next day, not the day itself
    # the CLI contract's case: 09-28(1) 09-29(2) 09-30(3) | 10-01..08 off | 10-09(4) 10-10(5)
    # 10-11 Sat(6) | 10-13..17 (7–11) | 10-20..23 (12–15)
    ("2025-09-26", 15, "2025-10-23"),
    ("2025-09-30", 1, "2025-10-09"),
    ("2025-09-30", 3, "2025-10-11"),  # ends on the adjusted Saturday and stays there
    # Spring Festival 2025: Sun 01-26 works; 01-28..02-04 off; Sat 02-08 works
    ("2025-01-24", 1, "2025-01-26"),
    ("2025-01-24", 3, "2025-02-05"),
    ("2025-01-27", 5, "2025-02-10"),  # 02-05, 06, 07, 08 (Sat), then Mon 02-10
    # Spring Festival 2026: Sat 02-14 works; 02-15..02-23 off; Sat 02-28 works
    ("2026-02-12", 2, "2026-02-14"),
    ("2026-02-13", 2, "2026-02-24"),
    ("2026-02-23", 5, "2026-02-28"),
])
def test_add_workdays(start, n, end):
    assert add_workdays(D(start), n) == D(end)


@pytest.mark.django_db
@pytest.mark.parametrize("start, n, end", [
    ("2025-09-22", 1, "2025-09-23"),  # start day not counted
    ("2025-09-26", 1, "2025-09-28"),  # Sat 09-27 is a rest day → the adjusted Sunday
    ("2025-09-26", 7, "2025-10-09"),  # 10-03 is in the holiday → the day after it ends (art. 203)
    ("2025-10-04", 7, "2025-10-11"),  # ends on the adjusted Saturday: stays
    ("2025-09-25", 3, "2025-09-28"),  # ends on the adjusted Sunday: stays
    ("2026-02-10", 10, "2026-02-24"),  # 02-20 is in the 2026 Spring Festival → Tue 02-24
    ("2026-02-10", 4, "2026-02-14"),   # Sat 02-14 works: stays
])
def test_add_days_moves_a_rest_day_end_to_the_next_working_day(start, n, end):
    assert add_days(D(start), n) == D(end)


@pytest.mark.django_db
def test_workdays_between_does_not_count_the_start_day():
    assert workdays_between(D("2025-01-27"), D("2025-02-09")) == 4  # 02-05, 02-06, 02-07, 02-08
    assert workdays_between(D("2025-09-26"), D("2025-10-23")) == 15
    assert workdays_between(D("2025-09-29"), D("2025-09-29")) == 0


@pytest.mark.django_db
def test_a_year_without_data_is_an_error_not_a_weekday_guess():
    with pytest.raises(CalendarError, match="2032年的节假日安排未知"):
        is_workday(D("2032-03-02"))
    # a period running out of the package's last year stops at the first unknown day
    with pytest.raises(CalendarError, match="2027年的节假日安排未知.*load-notice"):
        add_workdays(D("2026-12-20"), 15)
    with pytest.raises(CalendarError, match="非负整数"):
        add_workdays(D("2025-09-26"), -1)


@pytest.mark.django_db
def test_a_loaded_notice_extends_the_calendar(tmp_path):
    path = tmp_path / "notice_2031.toml"
    path.write_text(NOTICE_2031, encoding="utf-8")
    with pytest.raises(CalendarError):
        add_workdays(D("2031-01-17"), 3)
    notice = load_notice(path)
    assert notice.days.count() == 10  # 1 + 7 off, 2 adjusted
    assert AuditLog.objects.filter(object_id=str(notice.pk), action="create").exists()
    # Fri 01-17: Sat 01-18 rest, Sun 01-19 adjusted (1), Mon 01-20 (2), Tue 01-21 (3)
    assert add_workdays(D("2031-01-17"), 3) == D("2031-01-21")
    # 01-21 (1) | 01-22..28 off | 01-29 (2) 01-30 (3) 01-31 (4) | weekend | Mon 02-03 (5)
    assert add_workdays(D("2031-01-20"), 5) == D("2031-02-03")
    assert add_workdays(D("2031-02-05"), 3) == D("2031-02-08")  # the adjusted Saturday
    assert add_days(D("2031-01-20"), 5) == D("2031-01-29")  # Sat 01-25 inside the holiday → Wed 01-29
    assert is_workday(D("2031-03-03")) and not is_workday(D("2031-03-02"))  # unlisted days follow the week
    # loading it again replaces it, no duplicate days
    load_notice(path)
    assert HolidayNotice.objects.count() == 1 and HolidayNoticeDay.objects.count() == 10


@pytest.mark.django_db
def test_a_bad_notice_is_refused_in_chinese_and_nothing_is_written(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(NOTICE_2031.replace('kind = "调休上班"\nfrom = 2031-01-19', 'kind = "补班"\nfrom = 2031-01-19')
                    .replace("to = 2031-01-28", "to = 2032-01-28"), encoding="utf-8")
    with pytest.raises(CalendarError) as exc:
        load_notice(path)
    message = str(exc.value)
    assert "未导入任何内容" in message and "第3个 [[day]] 条目：字段 kind “补班”无效" in message
    assert "第2个 [[day]] 条目：日期范围 2031-01-22–2032-01-28 无效" in message
    path.write_text(NOTICE_2031.replace("from = 2031-02-08", "from = 2031-02-07"), encoding="utf-8")
    with pytest.raises(CalendarError, match="2031-02-07 是周一至周五，本来就是工作日"):
        load_notice(path)
    assert not HolidayNotice.objects.exists() and not HolidayNoticeDay.objects.exists()


def test_cli_contract_and_errors(cityrenew_cli, tmp_path):
    run = cityrenew_cli
    r = run("calendar", "add-workdays", "2025-09-26", "15")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "2025-10-23\n"
    assert run("calendar", "add-days", "2025-09-26", "7").stdout == "2025-10-09\n"
    assert run("calendar", "is-workday", "2025-10-11").stdout == "是\n"
    for args, message in ((("add-workdays", "2025-13-01", "5"), "“2025-13-01”不是有效日期"),
                          (("add-workdays", "2025-09-26", "-3"), "期间天数必须是非负整数"),
                          (("add-workdays", "2025-09-26", "x"), "期间天数必须是非负整数"),
                          (("add-workdays", "2031-01-17", "3"), "2031年的节假日安排未知")):
        r = run("calendar", *args)
        assert r.returncode == 2 and message in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
    assert run("migrate", "-v", "0").returncode == 0
    path = tmp_path / "notice_2031.toml"
    path.write_text(NOTICE_2031, encoding="utf-8")
    r = run("calendar", "load-notice", str(path))
    assert r.returncode == 0, r.stderr
    assert "已导入 测试〔2030〕1号" in r.stdout
    assert run("calendar", "add-workdays", "2031-01-17", "3").stdout == "2031-01-21\n"
    path.write_text("year = 2031\n", encoding="utf-8")
    r = run("calendar", "load-notice", str(path))
    assert r.returncode == 2 and "字段 number（文号）不能为空" in r.stderr

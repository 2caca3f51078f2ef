"""Working-day calendar (工作日历): statutory holidays, adjusted working days and legal periods.

Which days are working days
    A day is a working day (工作日) unless it is a statutory holiday (法定节假日放假) or a weekend that is
    not an adjusted working day (调休上班). The days come from, in this order:

    1. a State Council notice loaded into the database (:class:`~cityrenew.workdays.models.HolidayNotice`,
       ``cityrenew calendar load-notice FILE``): its 放假 and 调休上班 days override everything else, and
       in a year with a notice every other day follows the week (Monday–Friday work);
    2. the ``chinese-calendar`` package, for the years it covers;
    3. otherwise :class:`CalendarError` — a year outside both is never guessed from the weekdays.

How periods are counted (《中华人民共和国民法典》 第十章 期间计算)
    * 第二百零一条: a period counted in days (or years, months) does not count the day it starts on; it
      runs from the next day. So "15 working days from 2025-09-26" counts working days from 09-27 on,
      and the 15th of them is the last day (:func:`add_workdays`).
    * 第二百零二条: a period in years or months ends on the corresponding day of the last month, or that
      month's last day when there is none (:func:`add_years`, e.g. the land-procedure deadlines of
      implementation plans).
    * 第二百零三条: when the last day of a period is a statutory rest day (法定休假日, read here as any
      non-working day: holidays and weekends that are not adjusted working days), the period ends on
      the day after the rest ends, i.e. the next working day (:func:`add_days`). A period ending on an
      adjusted Saturday working day ends there. The last day ends at 24:00.
    * 第一千二百五十九条: "届满" and "以内" include the number itself, so a notice "not less than 15
      working days" is over at the end of the 15th working day (the date :func:`add_workdays` returns).
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
from django.db import DatabaseError

from cityrenew.catalogue.policies import cite

PERIOD_START = cite("CIVIL-CODE-2020", "第二百零一条", "开始的当日不计入，自下一日开始计算",
                    rule="期间计算：开始的当日不计入")
PERIOD_END_MONTHS = cite("CIVIL-CODE-2020", "第二百零二条", "按照年、月计算期间的，到期月的对应日为期间的最后一日",
                         rule="期间计算：按年、月计算的期间的最后一日")
PERIOD_END_REST_DAY = cite("CIVIL-CODE-2020", "第二百零三条", "期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日",
                           rule="期间计算：最后一日为法定休假日的顺延至休假日结束的次日")
PERIOD_INCLUSIVE = cite("CIVIL-CODE-2020", "第一千二百五十九条", "“以上”“以下”“以内”“届满”包括本数",
                        rule="期间计算：“届满”“以内”包括本数")

PACKAGE_YEARS = frozenset(d.year for d in (*chinese_calendar.constants.holidays, *chinese_calendar.constants.workdays))


class CalendarError(ValueError):
    """A date the calendar cannot answer for, or a bad request; the message is Chinese."""


def _years_text() -> str:
    return f"{min(PACKAGE_YEARS)}–{max(PACKAGE_YEARS)}年"


def notice_days(year: int) -> dict[dt.date, bool] | None:
    """The loaded notices' days of ``year`` (date → is a working day), or None when no notice covers it."""
    from .models import HolidayNotice, HolidayNoticeDay

    try:
        if not HolidayNotice.objects.filter(year=year).exists():
            return None
        return {d: kind == "调休上班" for d, kind in
                HolidayNoticeDay.objects.filter(notice__year=year).values_list("date", "kind")}
    except DatabaseError:  # tables not migrated yet: no notices
        return None


def is_workday(day: dt.date, *, _cache: dict | None = None) -> bool:
    """Whether ``day`` is a working day (see the module docstring for the sources)."""
    cache = _cache if _cache is not None else {}
    if day.year not in cache:
        cache[day.year] = notice_days(day.year)
    days = cache[day.year]
    if days is not None:
        return days[day] if day in days else day.weekday() < 5
    if day.year in PACKAGE_YEARS:
        return chinese_calendar.is_workday(day)
    raise CalendarError(f"{day.year}年的节假日安排未知：chinese-calendar 仅包含{_years_text()}，且未导入该年的国务院办公厅节假日安排通知"
                        f"（请用 cityrenew calendar load-notice 导入）")


def _check(start: dt.date, n: int) -> None:
    if not isinstance(n, int) or n < 0:
        raise CalendarError(f"期间天数必须是非负整数，收到“{n}”")


def add_workdays(start: dt.date, n: int) -> dt.date:
    """The last day of a period of ``n`` working days starting on ``start`` (民法典第二百零一条: ``start`` not counted)."""
    _check(start, n)
    cache: dict = {}
    day, counted = start, 0
    while counted < n:
        day += dt.timedelta(days=1)
        if is_workday(day, _cache=cache):
            counted += 1
    return day


def add_days(start: dt.date, n: int) -> dt.date:
    """The last day of a period of ``n`` days starting on ``start`` (第二百零一条; 第二百零三条: a rest day moves it on)."""
    _check(start, n)
    cache: dict = {}
    day = start + dt.timedelta(days=n)
    if n == 0:
        return day
    while not is_workday(day, _cache=cache):
        day += dt.timedelta(days=1)
    return day


def add_years(start: dt.date, years: int) -> dt.date:
    """The last day of a period of ``years`` years starting on ``start`` (民法典第二百零二条): the
    corresponding day of the last year, or the month's last day when there is none (a period of one
    year from 29 February ends on 28 February). 第二百零三条 (a rest day moves the end) is the caller's
    choice: :func:`next_workday`."""
    if not isinstance(years, int) or years < 0:
        raise CalendarError(f"期间年数必须是非负整数，收到“{years}”")
    year = start.year + years
    try:
        return start.replace(year=year)
    except ValueError:  # 29 February in a common year: the month's last day
        return dt.date(year, 2, 28)


def next_workday(day: dt.date) -> dt.date:
    """``day`` when it is a working day, else the first working day after it (民法典第二百零三条)."""
    cache: dict = {}
    while not is_workday(day, _cache=cache):
        day += dt.timedelta(days=1)
    return day


def workdays_between(a: dt.date, b: dt.date) -> int:
    """Working days after ``a`` up to and including ``b`` (0 when ``b`` is not after ``a``)."""
    cache: dict = {}
    count, day = 0, a
    while day < b:
        day += dt.timedelta(days=1)
        count += is_workday(day, _cache=cache)
    return count


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise CalendarError(f"“{text}”不是有效日期（应为 YYYY-MM-DD）") from None



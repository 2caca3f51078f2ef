"""``cityrenew calendar SUBCOMMAND …`` — the working-day calendar (工作日历).

* ``add-workdays DATE N`` — the last day of an N-working-day period starting on DATE (ISO date only);
* ``add-days DATE N`` — the last day of an N-day period (a rest day moves it to the next working day);
* ``is-workday DATE`` — 是 or 否;
* ``load-notice FILE`` — load a State Council holiday notice (TOML; see :mod:`cityrenew.workdays.notices`).

Bad input gets a Chinese message and exit code 2.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from cityrenew.core.management import user_of
from cityrenew.workdays.calendar import (
    CalendarError,
    add_days,
    add_workdays,
    is_workday,
    parse_date,
)


def _count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise CalendarError(f"期间天数必须是非负整数，收到“{text}”") from None
    if n < 0:
        raise CalendarError(f"期间天数必须是非负整数，收到“{text}”")
    return n


class Command(BaseCommand):
    help = "工作日历：按民法典期间计算规则推算工作日期间（add-workdays、add-days、is-workday），导入节假日安排通知（load-notice）"
    requires_system_checks = ()  # a data command: the system checks run with check, migrate and serve

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name, help_text in (("add-workdays", "N 个工作日期间的最后一日（开始当日不计入）"),
                                ("add-days", "N 日期间的最后一日（最后一日为休息日的顺延至下一个工作日）")):
            p = sub.add_parser(name, help=help_text)
            p.add_argument("date", help="开始日期 YYYY-MM-DD")
            p.add_argument("n", help="天数（非负整数）")
        p = sub.add_parser("is-workday", help="某日是否为工作日")
        p.add_argument("date", help="日期 YYYY-MM-DD")
        p = sub.add_parser("load-notice", help="导入国务院办公厅节假日安排通知（TOML 文件）")
        p.add_argument("file")
        p.add_argument("--user", help="操作人用户名（审计）")

    def handle(self, *args, **opts):
        try:
            action = opts["action"]
            if action == "add-workdays":
                self.stdout.write(add_workdays(parse_date(opts["date"]), _count(opts["n"])).isoformat())
            elif action == "add-days":
                self.stdout.write(add_days(parse_date(opts["date"]), _count(opts["n"])).isoformat())
            elif action == "is-workday":
                self.stdout.write("是" if is_workday(parse_date(opts["date"])) else "否")
            else:
                from cityrenew.workdays.notices import load_notice

                notice = load_notice(opts["file"], user=user_of(opts))
                self.stdout.write(f"已导入 {notice.number}《{notice.title}》：{notice.days.count()} 天")
        except CalendarError as exc:
            raise CommandError(str(exc), returncode=2) from None

"""``cityrenew ledgers checkup-values --year 2025 [--city 郑州市] [--user U]``: attach the check-up values the
ledgers define (indicator 2, 存在燃气安全隐患的住宅数量, from the equipment ledger as of 31 December of the
year) to the city's check-up run of that year (:func:`cityrenew.ledgertasks.services.attach_gas_indicator`)."""

from __future__ import annotations

import json

from django.core.management.base import CommandError

from cityrenew.core import audit
from cityrenew.core.management import user_of

NAME = "checkup-values"
HELP = "由设施设备台账计算体检指标2（存在燃气安全隐患的住宅数量）并写入该年度城市体检"


def add_arguments(parser) -> None:
    parser.add_argument("--year", type=int, required=True, help="体检年度")
    parser.add_argument("--city", default="", help="城市名称（默认：唯一的城市）")
    parser.add_argument("--user", help="以该用户身份写入（记入审计日志）")


def run(command, opts) -> None:
    from cityrenew.checkup.models import CheckupRun
    from cityrenew.ledgertasks.services import attach_gas_indicator

    user = user_of(opts)
    runs = CheckupRun.objects.filter(year=opts["year"]).select_related("city")
    if opts.get("city"):
        runs = runs.filter(city__name__startswith=opts["city"])
    runs = list(runs)
    if len(runs) != 1:
        raise CommandError(f"{opts['year']}年{opts.get('city') or ''}的城市体检有 {len(runs)} 个，请用 --city 指明城市" if runs
                           else f"没有{opts['year']}年{opts.get('city') or ''}的城市体检", returncode=1)
    with audit.actor(user, "cli", note="cityrenew ledgers checkup-values"):
        out = attach_gas_indicator(runs[0], user)
    command.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    if not out.get("attached"):
        raise CommandError(out.get("reason", "未写入"), returncode=1)

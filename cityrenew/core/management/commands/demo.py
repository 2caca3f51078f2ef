"""``cityrenew demo [--no-serve]`` — what ``make demo`` runs.

Migrates the database (a SQLite file by default), loads the regions, the Zhengzhou project library
and its 2025 adjustment batch, the check-up demo, creates the demo users, prints the URL and the
logins, then runs ``cityrenew serve`` (gunicorn and the job worker) on 127.0.0.1:8000, or stops after
loading with ``--no-serve``. ``cityrenew`` sets ``CITYRENEW_DEMO=1`` for this command: plain HTTP, and a
secret key generated on the first run and kept in ``<data dir>/secret_key``.
"""

from __future__ import annotations

import importlib

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from cityrenew.core import audit

# Each app may have a ``demo`` module with ``load(stdout)``; they run in this order.
DEMO_MODULES = [
    "cityrenew.core.demo", "cityrenew.projects.demo", "cityrenew.checkup.demo", "cityrenew.map.demo", "cityrenew.policies.demo",
    "cityrenew.ledgers.demo", "cityrenew.ledgertasks.demo", "cityrenew.funding.demo", "cityrenew.performance.demo", "cityrenew.centralfund.demo",
    "cityrenew.reports.demo", "cityrenew.plans.demo", "cityrenew.review.demo", "cityrenew.ballots.demo", "cityrenew.notices.demo", "cityrenew.lifeline.demo",
]


class Command(BaseCommand):
    help = "初始化演示环境：迁移数据库、加载演示数据、创建演示账号并启动服务"

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="加载完成后不启动服务")
        parser.add_argument("--bind", "--addrport", dest="bind", default="127.0.0.1:8000", help="服务地址（默认 127.0.0.1:8000）")
        parser.add_argument("--workers", type=int, default=None, help="gunicorn 进程数（默认每核 2 个）")

    def handle(self, *args, **opts):
        db = settings.DATABASES["default"]
        self.stdout.write(f"数据库：{db['ENGINE'].rsplit('.', 1)[-1]} {db.get('NAME')}")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("数据库迁移完成。")
        logins = []
        with audit.actor(None, "system", note="cityrenew demo"):
            for name in DEMO_MODULES:
                try:
                    mod = importlib.import_module(name)
                except ModuleNotFoundError as exc:
                    if exc.name == name:
                        continue
                    raise
                result = mod.load(self.stdout)
                if isinstance(result, list):  # the demo users an app created, printed below
                    logins += result
                elif isinstance(result, dict) and "login" in result:  # an app's own demo user (plans: shishi)
                    logins.append(result["login"])
        url = f"http://{opts['bind']}/"
        self.stdout.write(self.style.SUCCESS(f"\n演示环境已就绪：{url}"))
        self.stdout.write("演示账号（用户名 / 密码）：")
        for username, password, label in logins:
            self.stdout.write(f"  {username} / {password}    {label}")
        if not opts["no_serve"]:
            serve = {"bind": opts["bind"]}
            if opts["workers"]:
                serve["workers"] = opts["workers"]
            call_command("serve", **serve)

"""``cityrenew policies …``: the policy library (政策库) from the command line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "政策库：check-citations 检查每条规则的政策依据都能对应到库中的条款"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("check-citations", help="列出无法对应到条款的引用；有则退出码为1")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "check-citations":
            self.check_citations()

    def check_citations(self) -> None:
        from cityrenew.policies.citations import all_citations, clear_cache, unresolved

        clear_cache()
        entries = all_citations()
        problems = unresolved(entries)
        for message in problems:
            self.stderr.write(message)
        if problems:
            raise CommandError(f"{len(problems)} 条引用无法对应到政策库中的条款（共检查 {len(entries)} 条）", returncode=1)
        self.stdout.write(f"共检查 {len(entries)} 条引用，全部对应到政策库中的条款")

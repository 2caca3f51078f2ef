"""``cityrenew policies check-citations`` — every citation in the codebase resolves to an article."""

from __future__ import annotations

from django.core.management.base import CommandError

NAME = "check-citations"
HELP = "检查每条规则、指标和空间规则的政策依据都能对应到政策库中的条款；列出无法对应的引用，有则退出码为1"


def add_arguments(parser) -> None:
    pass


def handle(command, opts) -> None:
    from cityrenew.policies.citations import all_citations, clear_cache, unresolved

    clear_cache()
    entries = all_citations()
    problems = unresolved(entries)
    for message in problems:
        command.stderr.write(message)
    if problems:
        raise CommandError(f"{len(problems)} 条引用无法对应到政策库中的条款（共检查 {len(entries)} 条）", returncode=1)
    command.stdout.write(f"共检查 {len(entries)} 条引用，全部对应到政策库中的条款")

"""``cityrenew ledgers evaluate`` — verdicts of a ledger against a province's renewal rules.

    cityrenew ledgers evaluate --kind equipment --province 广东省 --as-of 2026-06-30 --format json [FILE]

FILE (CSV or xlsx with the import template's Chinese headers) is evaluated as it stands; without FILE
the ledger in the database is. JSON on stdout: ``{"province", "as_of", "rows": [{"code", "verdict",
"rules": [{"id", "source"}]}], "counts": {verdict: n}}``; notes (unknown categories, columns the
ledger lacks) go to stderr. ``--format text`` prints the counts and notes in Chinese.
"""

from __future__ import annotations

import json
import sys
from datetime import date

NAME = "evaluate"
HELP = "按省级更新规则目录判定台账（强制更新 / 鼓励更新 / 需评估 / 不需更新；楼宇：第一类 / 第二类老旧楼宇 / 否）"
KIND_CHOICES = ("equipment", "building", "community", "dangerous_housing")


class EvaluateError(Exception):
    """Bad input to the command: the message is Chinese and printed as is."""


def add_arguments(parser) -> None:
    parser.add_argument("file", nargs="?", help="台账文件（CSV 或 xlsx，表头同导入模板）；不给则判定数据库中的台账")
    parser.add_argument("--kind", required=True, choices=KIND_CHOICES, help="台账类型")
    parser.add_argument("--province", default="", help="省份，如 广东省（默认取城市规则文件中的省份）")
    parser.add_argument("--as-of", dest="as_of", default="", help="评估日期 YYYY-MM-DD（默认今天）；年限按此日计算")
    parser.add_argument("--format", dest="fmt", choices=("json", "text"), default="json", help="输出格式")
    parser.add_argument("--config", default="", help="城市规则文件（TOML）：省份、改选的解读、本地规则")


def evaluate_to(opts: dict, stdout=None, stderr=None) -> int:
    """Evaluate and print; raises :class:`EvaluateError` with a Chinese message on bad input."""
    from cityrenew.ledgers.rules import (
        LedgerFileError,
        RuleError,
        evaluate,
        load_config,
        read_table,
        ruleset_for,
    )

    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    try:
        as_of = date.fromisoformat(opts["as_of"]) if opts.get("as_of") else date.today()
    except ValueError:
        raise EvaluateError(f"评估日期“{opts['as_of']}”格式不正确，应为 YYYY-MM-DD，如 2026-06-30") from None
    kind = opts["kind"]
    try:
        config = load_config(opts["config"]) if opts.get("config") else None
        province = opts.get("province") or (config.province if config else "")
        if not province:
            raise EvaluateError("请用 --province 指定省份（或在 --config 城市规则文件中写明 province）")
        ruleset_for(kind, province)  # a province without a catalogue fails before any file is read
        if opts.get("file"):
            frame = read_table(opts["file"], kind, today=max(as_of, date.today()))
        else:
            from cityrenew.ledgers.frame import (
                ledger_frame,  # the database ledger (needs Django)
            )

            frame = ledger_frame(kind)
        result = evaluate(frame, kind, province, as_of, config)
    except LedgerFileError as exc:
        raise EvaluateError("台账文件有误，未作判定：\n" + "\n".join(exc.messages)) from None
    except RuleError as exc:
        raise EvaluateError(str(exc)) from None
    for note in result.problems:
        stderr.write(f"注意：{note}\n")
    if opts.get("fmt", "json") == "json":
        doc = {"province": province, "as_of": as_of.isoformat(), "rows": result.json_rows(), "counts": result.counts}
        stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    else:
        stdout.write(f"{province} {result.version}，评估日期 {as_of.isoformat()}，共 {len(result.verdicts)} 行\n")
        for verdict, n in result.counts.items():
            stdout.write(f"  {verdict}：{n}\n")
    return 0


def run(command, opts) -> None:
    """The sub-command (``cityrenew ledgers evaluate``): output to the command's streams."""
    from django.core.management.base import CommandError

    try:
        evaluate_to(opts, command.stdout, command.stderr)
    except EvaluateError as exc:
        raise CommandError(str(exc), returncode=1) from None


def main(argv: list[str] | None = None) -> int:
    """``python -m cityrenew.ledgers.cli.evaluate`` — the same command without Django (FILE required)."""
    import argparse

    parser = argparse.ArgumentParser(prog="cityrenew ledgers evaluate", description=HELP)
    add_arguments(parser)
    opts = vars(parser.parse_args(argv))
    if not opts.get("file"):
        import os

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityrenew.settings")
        import django

        django.setup()
    try:
        return evaluate_to(opts)
    except EvaluateError as exc:
        sys.stderr.write(f"错误：{exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""``cityrenew policies ingest [--format text|json]`` — (re)build the library from the seed documents."""

from __future__ import annotations

import json

NAME = "ingest"
HELP = "按文件清单从原文重建政策库（可重复运行，未变的文件不改动）"


def add_arguments(parser) -> None:
    parser.add_argument("--format", choices=["text", "json"], default="text", help="输出格式（默认 text）")


def handle(command, opts) -> None:
    from cityrenew.policies.ingest import ingest_seeds

    if opts["format"] == "json":
        result = ingest_seeds()
        command.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        result = ingest_seeds(stdout=command.stdout)
        command.stdout.write(command.style.SUCCESS("完成。"))

"""``cityrenew policies search "QUERY" [--format json|text] [--top 5] [--issuer …] [--level …] [--year …]
[--status …] [--region …]`` — the best articles for a question (CLI contract).

JSON: ``[{"doc": title, "doc_number": 文号, "article": "第十二条", "snippet": …, "score": …, "doc_key", "heading"}]``,
best first, hits in the snippet wrapped in 【】; text: a numbered list for people.
"""

from __future__ import annotations

import json

from django.core.management.base import CommandError

NAME = "search"
HELP = "检索条文（中文分词、同义词、按地区优先）"


def add_arguments(parser) -> None:
    from cityrenew.policies.models import Level, Status

    parser.add_argument("query", help="检索词或问题，如 “北京实施方案公示多少天”")
    parser.add_argument("--format", choices=["json", "text"], default="text", help="输出格式（默认 text）")
    parser.add_argument("--top", type=int, default=10, help="最多返回条数（默认 10）")
    parser.add_argument("--issuer", help="发文机关（包含即可）")
    parser.add_argument("--level", choices=Level.values, help="层级：" + "、".join(f"{v}={lb}" for v, lb in Level.choices))
    parser.add_argument("--year", type=int, help="发布年份")
    parser.add_argument("--status", choices=Status.values,
                        help="效力状态：" + "、".join(f"{v}={lb}" for v, lb in Status.choices))
    parser.add_argument("--region", help="适用地区（包含即可），如 北京")


def handle(command, opts) -> None:
    from cityrenew.policies.search import search

    if opts["top"] < 1:
        raise CommandError("--top 须为正整数", returncode=2)
    filters = {k: opts.get(k) for k in ("issuer", "level", "year", "status", "region")}
    hits = search(opts["query"], top=opts["top"], **filters)
    if opts["format"] == "json":
        command.stdout.write(json.dumps([h.as_dict() for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        command.stdout.write(f"没有找到与“{opts['query']}”相关的条文")
        return
    for i, h in enumerate(hits, 1):
        a = h.article
        number = f"（{a.document.number}）" if a.document.number else ""
        command.stdout.write(f"{i}. 《{a.document.title}》{number} {a.ref} {a.heading}".rstrip() + f"  [{h.score:.2f}]")
        command.stdout.write(f"   {h.snippet_text()}")
        command.stdout.write(f"   cityrenew policies show {a.document.number or a.document.key} {a.ref}")

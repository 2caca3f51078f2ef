"""``cityrenew policies search|show``: the policy library's search on the command line (CLI contract).

* ``cityrenew policies search "QUERY" [--format json|text] [--top 5] [--issuer …] [--level …] [--year …]
  [--status …] [--region …]`` prints the best articles: JSON ``[{"doc", "doc_number", "article",
  "snippet", "score", …}]`` (hits in the snippet wrapped in 【】) or a text list for people;
* ``cityrenew policies show DOC_NUMBER ARTICLE`` prints an article's text; DOC_NUMBER is the 文号
  (财办建〔2025〕11号) or the document key when it has none; ARTICLE is its reference (第十二条, 第12条,
  12, 二、（三）, 二（三）). An unknown document or article exits with code 2 and a Chinese message.
"""

from __future__ import annotations

import json

from django.core.management.base import CommandError

from .lookup import NotFound, find_article, find_document
from .models import Level, Status
from .search import search


def add_parsers(sub) -> None:
    s = sub.add_parser("search", help="检索条文（中文分词、同义词、按地区优先）")
    s.add_argument("query", help="检索词或问题，如 “北京实施方案公示多少天”")
    s.add_argument("--format", choices=["json", "text"], default="text")
    s.add_argument("--top", type=int, default=10, help="最多返回条数（默认 10）")
    s.add_argument("--issuer", help="发文机关（包含即可）")
    s.add_argument("--level", choices=Level.values, help="层级：" + "、".join(f"{v}={lb}" for v, lb in Level.choices))
    s.add_argument("--year", type=int, help="发布年份")
    s.add_argument("--status", choices=Status.values, help="效力状态：" + "、".join(f"{v}={lb}" for v, lb in Status.choices))
    s.add_argument("--region", help="适用地区（包含即可），如 北京")
    w = sub.add_parser("show", help="显示一条条文的正文")
    w.add_argument("document", help="文号（如 财办建〔2025〕11号），无文号的文件用编码")
    w.add_argument("article", help="条款：第十二条、第12条、12、二、（三）、二（三）")


def do_search(cmd, opts) -> None:
    if opts["top"] < 1:
        raise CommandError("--top 须为正整数", returncode=2)
    filters = {k: opts.get(k) for k in ("issuer", "level", "year", "status", "region")}
    hits = search(opts["query"], top=opts["top"], **filters)
    if opts["format"] == "json":
        cmd.stdout.write(json.dumps([h.as_dict() for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        cmd.stdout.write(f"没有找到与“{opts['query']}”相关的条文")
        return
    for i, h in enumerate(hits, 1):
        a = h.article
        number = f"（{a.document.number}）" if a.document.number else ""
        cmd.stdout.write(f"{i}. 《{a.document.title}》{number} {a.ref} {a.heading}".rstrip() + f"  [{h.score:.2f}]")
        cmd.stdout.write(f"   {h.snippet_text()}")
        cmd.stdout.write(f"   cityrenew policies show {a.document.number or a.document.key} {a.ref}")


def do_show(cmd, opts) -> None:
    try:
        doc = find_document(opts["document"])
        article = find_article(doc, opts["article"])
    except NotFound as e:
        raise CommandError(str(e), returncode=2) from e
    number = f"（{doc.number}）" if doc.number else ""
    cmd.stdout.write(f"《{doc.title}》{number} {article.ref} {article.heading}".rstrip())
    cmd.stdout.write(article.text)

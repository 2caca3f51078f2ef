"""``cityrenew policies …`` — the policy library's command line (CLI contract).

``search`` and ``show``: :mod:`cityrenew.policies.search_cli`.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ... import search_cli


class Command(BaseCommand):
    help = "政策库：检索（search）、显示条文（show）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{search,show}")
        search_cli.add_parsers(sub)

    def handle(self, *args, **opts):
        {"search": search_cli.do_search, "show": search_cli.do_show}[opts["action"]](self, opts)

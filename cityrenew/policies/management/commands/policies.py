"""``cityrenew policies SUBCOMMAND …`` — the policy library's command line.

Each subcommand is one module in :mod:`cityrenew.policies.cli` (``ingest``, ``import`` …), found
there automatically: a module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``handle(command, opts)``. Adding a subcommand is adding a module.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from cityrenew.policies.cli import subcommands


class Command(BaseCommand):
    help = "政策库：入库（ingest）、导入本地文件（import）等"

    def add_arguments(self, parser):
        subs = subcommands()
        sub = parser.add_subparsers(dest="action", required=True, metavar="{" + ",".join(subs) + "}")
        for name, module in subs.items():
            p = sub.add_parser(name, help=module.HELP)
            module.add_arguments(p)

    def handle(self, *args, **opts):
        return subcommands()[opts["action"]].handle(self, opts)

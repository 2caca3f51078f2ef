"""``cityrenew funding …`` — the funding command line; each sub-command is a module of
:mod:`cityrenew.centralfund.cli` (``cap``, ``shortlist``)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ...cli import subcommands


class Command(BaseCommand):
    help = "资金：中央补助上限（cap）、现场答辩名单（shortlist）等"

    def add_arguments(self, parser):
        subs = subcommands()
        sub = parser.add_subparsers(dest="action", required=True, metavar="{" + ",".join(subs) + "}")
        for name, module in subs.items():
            module.add_arguments(sub.add_parser(name, help=module.HELP))

    def handle(self, *args, **opts):
        return subcommands()[opts["action"]].run(self, opts)

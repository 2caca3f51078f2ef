"""``cityrenew ledgers …`` — the ledgers' command line; each sub-command is a module of
:mod:`cityrenew.ledgers.cli` (``import``; the renewal rules add ``evaluate``)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ...cli import subcommands


class Command(BaseCommand):
    help = "台账：导入（import）等"

    def add_arguments(self, parser):
        self._subs = subcommands()
        sub = parser.add_subparsers(dest="action", required=True, metavar="{" + ",".join(self._subs) + "}")
        for name, module in self._subs.items():
            module.add_arguments(sub.add_parser(name, help=module.HELP))

    def handle(self, *args, **opts):
        return subcommands()[opts["action"]].run(self, opts)

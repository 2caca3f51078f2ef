"""``cityrenew ledgers …`` — the ledgers' command line; each sub-command is a module of
:mod:`cityrenew.ledgers.cli` (``import``, ``import-geometry``, ``evaluate``, ``checkup-values``)."""

from cityrenew.core.subcommands import SubcommandCommand


class Command(SubcommandCommand):
    help = "台账：导入（import）、判定（evaluate）等"
    package = "cityrenew.ledgers.cli"

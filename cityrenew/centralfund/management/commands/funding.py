"""``cityrenew funding …`` — the funding command line; each sub-command is a module of
:mod:`cityrenew.centralfund.cli` (``cap``, ``shortlist``), found by :mod:`cityrenew.core.subcommands`."""

from cityrenew.core.subcommands import SubcommandCommand


class Command(SubcommandCommand):
    help = "资金：中央补助上限（cap）、现场答辩名单（shortlist）等"
    package = "cityrenew.centralfund.cli"

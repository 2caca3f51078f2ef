"""``cityrenew policies SUBCOMMAND …`` — the policy library's command line.

Each subcommand is one module in :mod:`cityrenew.policies.cli` (``ingest``, ``import`` …), found
there automatically (:mod:`cityrenew.core.subcommands`): a module defines ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``handle(command, opts)``. Adding a subcommand is adding a module.
"""

from cityrenew.core.subcommands import SubcommandCommand


class Command(SubcommandCommand):
    help = "政策库：入库（ingest）、导入本地文件（import）等"
    package = "cityrenew.policies.cli"
    entry = "handle"

"""Sub-commands of ``cityrenew funding``: one module each in this package (see :mod:`cityrenew.core.subcommands`).

A module defines ``NAME``, ``HELP`` (Chinese, one line), ``add_arguments(parser)`` and
``run(command, opts)``; ``run`` writes to ``command.stdout`` and raises ``CommandError`` on failure
(exit 2 for refused input). Other funding parts add their sub-commands as modules here.
"""

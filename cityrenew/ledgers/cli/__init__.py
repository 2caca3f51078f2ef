"""Sub-commands of ``cityrenew ledgers``: one module each in this package (see :mod:`cityrenew.core.subcommands`).

A module defines ``NAME`` (the sub-command, e.g. ``"import"``), ``HELP`` (Chinese, one line),
``add_arguments(parser)`` and ``run(command, opts)``; ``run`` writes to ``command.stdout`` and raises
``CommandError(..., returncode=1)`` on failure.
"""

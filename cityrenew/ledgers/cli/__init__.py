"""Sub-commands of ``cityrenew ledgers``: one module each in this package.

A module defines ``NAME`` (the sub-command, e.g. ``"import"``), ``HELP`` (Chinese, one line),
``add_arguments(parser)`` and ``run(command, opts)``; ``run`` writes to ``command.stdout`` and raises
``CommandError(..., returncode=1)`` on failure. The command (``management/commands/ledgers.py``) finds
the modules itself, so adding a sub-command is adding a module.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def subcommands() -> dict[str, ModuleType]:
    out: dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        name = getattr(module, "NAME", None)
        if name:
            out[name] = module
    return out

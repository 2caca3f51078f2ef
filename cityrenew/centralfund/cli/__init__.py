"""Sub-commands of ``cityrenew funding``: one module each in this package (as ``ledgers/cli``).

A module defines ``NAME``, ``HELP`` (Chinese, one line), ``add_arguments(parser)`` and
``run(command, opts)``; ``run`` writes to ``command.stdout`` and raises ``CommandError`` on failure
(exit 2 for refused input). Other funding parts add their sub-commands as modules here.
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

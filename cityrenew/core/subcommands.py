"""Commands with sub-commands, one module each (``cityrenew ledgers import``, ``cityrenew policies ingest`` …).

A sub-command module defines ``NAME`` (e.g. ``"import"``), ``HELP`` (Chinese, one line),
``add_arguments(parser)`` and an entry function (``run(command, opts)``, or the name the command's
``entry`` gives); it writes to ``command.stdout`` and raises ``CommandError`` on failure. The command
class names the package holding the modules and finds them itself, so adding a sub-command is adding a
module.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from django.core.management.base import BaseCommand


def discover(package: str) -> dict[str, ModuleType]:
    """NAME → module for every module of ``package`` that defines ``NAME``, in module-name order."""
    pkg = importlib.import_module(package)
    out: dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package}.{info.name}")
        name = getattr(module, "NAME", None)
        if name:
            out[name] = module
    return out


class SubcommandCommand(BaseCommand):
    """A management command whose sub-commands are the modules of :attr:`package`."""

    package = ""  # e.g. "cityrenew.ledgers.cli"
    requires_system_checks = ()  # data commands: the system checks run with check, migrate and serve
    entry = "run"  # the function each module defines

    def add_arguments(self, parser):
        subs = discover(self.package)
        sub = parser.add_subparsers(dest="action", required=True, metavar="{" + ",".join(subs) + "}")
        for name, module in subs.items():
            module.add_arguments(sub.add_parser(name, help=module.HELP))

    def handle(self, *args, **opts):
        return getattr(discover(self.package)[opts["action"]], self.entry)(self, opts)

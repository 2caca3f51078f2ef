"""The ``cityrenew`` console script.

``cityrenew engine …`` runs the spatial engine's own command line, which imports no web framework;
every other sub-command is a Django management command (``cityrenew migrate``, ``cityrenew
runserver``, ``cityrenew projects import …``, ``cityrenew demo`` …).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] == "engine":
        from cityrenew.engine.cli import main as engine_main

        return int(engine_main(argv[2:]) or 0)
    if len(argv) > 1 and argv[1] == "demo":
        # The local demo: plain HTTP on loopback, with a secret key it generates once in the data dir.
        os.environ.setdefault("CITYRENEW_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityrenew.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())

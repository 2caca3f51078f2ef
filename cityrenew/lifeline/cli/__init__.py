"""Sub-commands of ``cityrenew lifeline``: one module each (see :mod:`cityrenew.core.subcommands`)."""

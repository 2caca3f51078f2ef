"""Subcommands of ``cityrenew policies``: one module each (see :mod:`cityrenew.core.subcommands`)."""

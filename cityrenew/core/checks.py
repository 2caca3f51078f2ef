"""Checks other apps plug into a workflow (登记的检查): ``fn(obj) -> Chinese reason or ""``, kept per key.

A workflow owns one :class:`CheckRegistry`; apps register their checks from ``AppConfig.ready()`` (the
plans workflow's guards per target state, the central-fund workflow's, the funding app's release checks
on a tranche). A check registered twice is kept once; :meth:`CheckRegistry.reasons` asks them in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

Check = Callable[[Any], str]


class CheckRegistry:
    def __init__(self) -> None:
        self._checks: dict[str, list[Check]] = {}

    def register(self, key: str, check: Check) -> Check:
        checks = self._checks.setdefault(key, [])
        if check not in checks:
            checks.append(check)
        return check

    def unregister(self, key: str, check: Check) -> None:
        """Take a registered check out again (tests that plug in a check of their own)."""
        self._checks.get(key, []).remove(check)

    def reasons(self, key: str, obj: Any) -> Iterator[str]:
        """The non-empty reasons of ``key``'s checks for ``obj``, asked lazily in registration order."""
        for check in self._checks.get(key, []):
            reason = check(obj)
            if reason:
                yield reason

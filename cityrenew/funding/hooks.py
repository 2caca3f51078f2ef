"""Checks other apps add to a tranche's release (资金拨付与进度挂钩).

Central subsidy is paid "根据工作推进情况分年拨付到位" (财办建〔2025〕11号): before finance approves a tranche,
every registered check is asked; a check returns a Chinese reason the tranche may not be released yet (e.g.
the performance app: no actual values recorded for the year's indicators), or "".
"""

from __future__ import annotations

from typing import Any

from cityrenew.core.checks import Check, CheckRegistry

ReleaseCheck = Check  # fn(tranche) -> reason or ""
_CHECKS = CheckRegistry()
RELEASE = "release"


def register_release_check(fn: ReleaseCheck) -> ReleaseCheck:
    """Register ``fn`` (call from an app's ``ready()``)."""
    return _CHECKS.register(RELEASE, fn)


def unregister_release_check(fn: ReleaseCheck) -> None:
    _CHECKS.unregister(RELEASE, fn)


def release_blockers(tranche: Any) -> list[str]:
    """The reasons ``tranche`` may not be released yet (empty: it may)."""
    return list(_CHECKS.reasons(RELEASE, tranche))

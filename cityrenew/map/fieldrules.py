"""Who may read the audit entries of the map app's models: reference layers are read by every
signed-in user, so is the history of their loads and deletions."""

from __future__ import annotations

from typing import Any

from cityrenew.core.fieldrules import register_audit_scope

from .models import ReferenceLayer


def _everyone(user: Any) -> None:
    return None


register_audit_scope(ReferenceLayer, _everyone)

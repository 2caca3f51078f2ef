"""Change logging (审计日志): who changed what, when, from where.

Every model that inherits :class:`cityrenew.core.models.AuditedModel` writes an
:class:`~cityrenew.core.models.AuditLog` row on create, update and delete, with the field-level
differences. The actor comes from a context variable: the web middleware sets it per request, the
CLI and importers wrap their work in :func:`actor`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator


@dataclass(frozen=True)
class AuditContext:
    explicit_user: Any = None  # django User or None
    source: str = "system"
    request_id: str = ""
    note: str = ""
    request: Any = None  # the HttpRequest; its user is read when a change is recorded (DRF token auth sets it late)

    @property
    def user(self) -> Any:
        if self.explicit_user is not None:
            return self.explicit_user
        return getattr(self.request, "user", None) if self.request is not None else None


_current: contextvars.ContextVar[AuditContext] = contextvars.ContextVar(
    "cityrenew_audit", default=AuditContext()
)


def current() -> AuditContext:
    return _current.get()


@contextmanager
def actor(user: Any = None, source: str = "system", note: str = "") -> Iterator[AuditContext]:
    """Attribute every change inside the block to ``user`` (``source``: web/api/cli/import/system)."""
    ctx = AuditContext(explicit_user=user, source=source, request_id=uuid.uuid4().hex[:12], note=note)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


@contextmanager
def request_context(request: Any, source: str) -> Iterator[AuditContext]:
    """Attribute changes made while serving ``request`` to its (possibly late-authenticated) user."""
    ctx = AuditContext(source=source, request_id=uuid.uuid4().hex[:12], request=request)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def to_jsonable(value: Any) -> Any:
    """A JSON-safe rendering of a field value for the change record."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return str(value)

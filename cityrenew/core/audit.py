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
import json
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Iterable, Iterator
from zoneinfo import ZoneInfo

from django.db import models


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
    if hasattr(value, "geom_type") and hasattr(value, "wkt"):  # a GEOS geometry
        from .geo import audit_text

        return audit_text(value)
    return str(value)


# --- how an audit entry reads (审计日志的显示) -----------------------------------------------------
#
# One function renders entries for the /audit/ page, every object's history and the xlsx export:
# field labels (verbose_name), choice labels, foreign keys as the object's name, Beijing time, the
# user's display name, file fields as file names only (never a server path).

BEIJING = ZoneInfo("Asia/Shanghai")
EMPTY = "（空）"


@dataclass(frozen=True)
class ChangeLine:  # 一项字段变更
    field: str  # the field's name as recorded
    label: str  # 字段名称 (verbose_name)
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.label}：{self.old} → {self.new}"


@dataclass(frozen=True)
class EntryDisplay:  # 一条审计记录，供页面、变更记录和导出使用
    entry: Any  # the AuditLog row
    time: str  # 北京时间 2026-11-30 20:15
    user: str  # 操作人姓名（账号已删除时为记录的账号；无人时为“系统”）
    username: str
    source: str
    action: str
    object_type: str
    object: str
    changes: tuple[ChangeLine, ...]
    note: str

    @property
    def changes_text(self) -> str:
        return "；".join(str(c) for c in self.changes)


def beijing_time(value: dt.datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``value`` (aware datetime or ISO text) in Beijing time; naive values are taken as UTC."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(BEIJING).strftime(fmt)
    return str(value)


def user_display_name(user: Any) -> str:
    """How a person is named on pages (as the user menu does): full name, else the account name."""
    if user is None:
        return ""
    return (user.get_full_name() or "").strip() or user.get_username()


def _file_name(value: Any) -> str:
    return PurePosixPath(str(value).replace("\\", "/")).name


def _field_map(model: Any) -> dict[str, Any]:
    if model is None:
        return {}
    return {f.name: f for f in model._meta.get_fields() if getattr(f, "concrete", False) or f.many_to_many}


def _is_pk(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _format(field: Any, value: Any, labels: dict[tuple[Any, Any], str]) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if field is not None and field.many_to_many:  # recorded as the names of the related objects
        return "、".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if isinstance(value, list):
        return "、".join(_format(field, v, labels) for v in value)
    if field is None:
        return str(value)
    if field.many_to_one or field.one_to_one:
        if _is_pk(value):  # a recorded id; an importer may record the name itself
            return labels.get((field.related_model, value)) or f"编号 {value}（已删除）"
        return str(value)
    if isinstance(field, models.FileField):
        return _file_name(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return "是" if value else "否"
    if isinstance(field, models.DateTimeField):
        return beijing_time(value)
    if isinstance(field, models.JSONField):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _object_text(model: Any, text: str) -> str:
    """An object's recorded name; for models that hold files, a stored path is cut to the file name."""
    if model is not None and "/" in text and any(isinstance(f, models.FileField) for f in model._meta.get_fields()):
        return " ".join(_file_name(part) if "/" in part else part for part in text.split(" "))
    return text


def display_changes(items: list[tuple[Any, dict[str, Any]]]) -> list[tuple[ChangeLine, ...]]:
    """``[(model, {field: [old, new]})]`` → readable change lines, foreign keys resolved in bulk.

    Foreign-key ids are looked up with one query per related model; an object that no longer
    exists reads ``编号 N（已删除）``. Used for audit entries and for batch journals alike.
    """
    fields_of: dict[Any, dict[str, Any]] = {}
    wanted: dict[Any, set[Any]] = {}
    for model, changes in items:
        fields = fields_of.setdefault(model, _field_map(model))
        for name, pair in (changes or {}).items():
            f = fields.get(name)
            if f is None or not f.is_relation or f.many_to_many or not isinstance(pair, list):
                continue
            wanted.setdefault(f.related_model, set()).update(v for v in pair if _is_pk(v))
    labels: dict[tuple[Any, Any], str] = {}
    for related, pks in wanted.items():
        for obj in related._default_manager.filter(pk__in=pks):
            if hasattr(obj, "get_full_name"):  # a person
                labels[(related, obj.pk)] = user_display_name(obj)
            else:
                labels[(related, obj.pk)] = getattr(obj, "display_name", None) or str(obj)
    out = []
    for model, changes in items:
        fields = fields_of[model]
        lines = []
        for name, pair in (changes or {}).items():
            if not (isinstance(pair, list) and len(pair) == 2):
                continue
            f = fields.get(name)
            label = str(f.verbose_name) if f is not None and hasattr(f, "verbose_name") else name
            lines.append(ChangeLine(name, label, _format(f, pair[0], labels), _format(f, pair[1], labels)))
        out.append(tuple(lines))
    return out


def display_entries(entries: Iterable[Any]) -> list[EntryDisplay]:
    """Render audit entries for people (page, object history, export): see :func:`display_changes`."""
    entries = list(entries)
    models_of = [e.content_type.model_class() for e in entries]
    lines = display_changes([(m, e.changes) for m, e in zip(models_of, entries)])
    out = []
    for e, model, changes in zip(entries, models_of, lines):
        user = e.user
        out.append(
            EntryDisplay(
                entry=e,
                time=beijing_time(e.timestamp),
                user=user_display_name(user) or e.user_name or "系统",
                username=user.get_username() if user is not None else e.user_name,
                source=e.get_source_display(),
                action=e.get_action_display(),
                object_type=str(e.content_type.name) if model is not None else e.content_type.model,
                object=_object_text(model, e.object_repr),
                changes=changes,
                note=e.note,
            )
        )
    return out

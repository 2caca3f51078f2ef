"""Optimistic concurrency (乐观锁): no lost updates on edit pages and API writes.

The rule lives in :class:`cityrenew.core.models.AuditedModel`: every save of an existing row is
``UPDATE … WHERE id = ? AND row_version = ?`` and raises :class:`StaleObjectError` when someone else
saved first. This module carries the version through the two kinds of clients and explains a refusal:

* :func:`add_version_field` — a hidden ``row_version`` field on an edit form (the generic edit view
  adds it); the version the user started from is put back on the instance before it is saved;
* :class:`RowVersionViewSetMixin` — DRF viewsets: ``GET`` answers with an ``ETag`` (the version, also
  ``row_version`` in the body); ``PUT``/``PATCH``/``DELETE`` honour ``If-Match`` (412 when stale) or a
  ``row_version`` field in the body (409 when stale); a concurrent writer that slips in between is
  caught by the conditional UPDATE (409);
* :func:`changes_since` / :func:`stale_message` — what changed since the user's version, from the
  audit log (field labels, value then → now, who, when in Beijing time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db import models
from rest_framework import status
from rest_framework.response import Response

from . import audit
from .models import AuditLog, StaleObjectError

__all__ = [
    "StaleObjectError", "ChangeLine", "changes_since", "stale_message", "stale_payload", "current_version",
    "add_version_field", "refresh_version", "ETagMixin", "RowVersionViewSetMixin", "etag_for", "parse_if_match",
]


@dataclass(frozen=True)
class ChangeLine:
    """One field changed by one saved version."""

    version: int | None
    time: str  # Beijing time, 2026-11-30 14:02
    user: str
    field: str
    label: str
    old: str
    new: str

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "time": self.time, "user": self.user, "field": self.field,
                "label": self.label, "old": self.old, "new": self.new}


def current_version(obj: models.Model) -> int | None:
    return type(obj)._base_manager.filter(pk=obj.pk).values_list("row_version", flat=True).first()


def changes_since(obj: models.Model, version: int) -> list[ChangeLine]:
    """Field changes recorded for ``obj`` after its version ``version``, oldest first, read as the
    audit log reads them (:func:`cityrenew.core.audit.display_changes`: labels, choice labels, names)."""
    entries = list(AuditLog.for_object(obj).filter(object_version__gt=version).order_by("object_version", "id"))
    readable = audit.display_changes([(type(obj), e.changes) for e in entries])
    return [
        ChangeLine(version=e.object_version, time=audit.beijing_time(e.timestamp), user=e.user_name or "系统",
                   field=c.field, label=c.label, old=c.old, new=c.new)
        for e, lines in zip(entries, readable)
        for c in lines
    ]


def stale_message(obj: models.Model, version: int, lines: list[ChangeLine] | None = None,
                  now: int | None = None, outcome: str = "您的修改没有保存") -> str:
    """The Chinese refusal: whose save came first, what it changed (one line per field) and what did
    not happen (``outcome``). ``lines`` and ``now`` are read from the database when not given."""
    now = current_version(obj) if now is None else now
    head = (f"保存失败：{obj._meta.verbose_name}“{obj}”在您打开后已被他人修改"
            f"（您基于第 {version} 版，当前为第 {now} 版），{outcome}。")
    lines = changes_since(obj, version) if lines is None else lines
    if lines:
        body = "其间的修改：" + "；".join(f"{c.label}：{c.old} → {c.new}（{c.user}，{c.time}）" for c in lines) + "。"
    else:
        body = "其间的修改没有字段级记录（可能是关联数据或批量导入），请查看变更记录。"
    return head + body


def stale_payload(obj: models.Model, version: int) -> dict[str, Any]:
    """The JSON body of a 409/412 answer."""
    lines, now = changes_since(obj, version), current_version(obj)
    return {
        "detail": stale_message(obj, version, lines, now),
        "code": "stale",
        "your_row_version": version,
        "row_version": now,
        "changes": [c.as_dict() for c in lines],
    }


# --- pages ---------------------------------------------------------------------------------------


def add_version_field(form: Any) -> None:
    """Give a ModelForm a hidden ``row_version`` field: the version the user started from.

    When the form is bound, the submitted version is put on the instance, so its save is
    ``UPDATE … WHERE row_version = <that version>``. A POST without the field is checked against
    the version loaded in the same request (still atomic against concurrent writers).
    """
    instance = getattr(form, "instance", None)
    if instance is None or instance.pk is None or not hasattr(instance, "row_version"):
        return
    form.fields["row_version"] = forms.IntegerField(
        label="版本", widget=forms.HiddenInput, required=False, min_value=0, initial=instance.row_version,
    )
    if form.is_bound:
        value = str(form.data.get(form.add_prefix("row_version"), "")).strip()
        if value.isdigit():
            instance.row_version = int(value)


def refresh_version(form: Any, version: int | None) -> None:
    """After a refusal: the re-shown form (the user's input kept) carries the current version, so
    submitting it again, after reading what changed, saves."""
    if "row_version" in form.fields and form.is_bound:
        data = form.data.copy()
        data[form.add_prefix("row_version")] = "" if version is None else str(version)
        form.data = data


# --- API -----------------------------------------------------------------------------------------


def etag_for(version: int | None) -> str:
    return f'"{version}"'


def parse_if_match(header: str) -> int | None | str:
    """The version named by an ``If-Match`` header; ``None`` for ``*``; ``"bad"`` when unreadable."""
    tags = [t.strip() for t in header.split(",") if t.strip()]
    if not tags or "*" in tags:
        return None
    tag = tags[0]
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip('"')
    return int(tag) if tag.isdigit() else "bad"


class ETagMixin:
    """DRF viewset mixin for reads: ``GET`` of one object answers with ``ETag: "<row_version>"``.

    It also gives custom write actions (e.g. an upsert through ``POST``) the same checks:
    :meth:`_expected_version` reads ``If-Match`` or the body's ``row_version``; :meth:`_stale` answers.
    """

    def _expected_version(self, request: Any) -> tuple[int | None, int, Response | None]:
        header = request.headers.get("If-Match")
        if header:
            parsed = parse_if_match(header)
            if parsed == "bad":
                return None, 412, Response(
                    {"detail": f"If-Match 格式不正确（{header}）：应为 GET 返回的 ETag，如 \"3\"", "code": "bad_if_match"},
                    status=status.HTTP_412_PRECONDITION_FAILED,
                )
            return parsed, 412, None  # type: ignore[return-value]
        body = request.data.get("row_version") if hasattr(request.data, "get") else None
        if body not in (None, ""):
            try:
                return int(body), 409, None
            except (TypeError, ValueError):
                return None, 409, Response({"row_version": [f"版本号必须是整数（实际为 {body}）"]},
                                           status=status.HTTP_400_BAD_REQUEST)
        return None, 409, None

    def _stale(self, instance: models.Model, version: int, code: int) -> Response:
        # describe the row as stored, not the in-memory instance the refused request modified
        instance = type(instance)._base_manager.filter(pk=instance.pk).first() or instance
        response = Response(stale_payload(instance, version), status=code)
        now = current_version(instance)
        if now is not None:
            response["ETag"] = etag_for(now)
        return response


    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)  # type: ignore[misc]
        version = response.data.get("row_version") if isinstance(response.data, dict) else None
        if version is not None:
            response["ETag"] = etag_for(version)
        return response


class RowVersionViewSetMixin(ETagMixin):
    """DRF model-viewset mixin: ETag on reads, ``If-Match`` (412) / body ``row_version`` (409) on
    ``PUT``/``PATCH``/``DELETE``; a writer that slips in between read and write gets 409."""

    def _precondition(self, request: Any, instance: models.Model) -> tuple[int, Response | None]:
        """The refusal code for this request (412 for ``If-Match``, 409 for a body version) and the
        refusal itself when the request's version is malformed or not the object's current one."""
        expected, code, error = self._expected_version(request)
        if error is not None:
            return code, error
        if expected is not None and expected != instance.row_version:
            return code, self._stale(instance, expected, code)
        return code, None

    def update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        instance = self.get_object()  # type: ignore[attr-defined]
        code, refusal = self._precondition(request, instance)
        if refusal is not None:
            return refusal
        serializer = self.get_serializer(instance, data=request.data, partial=partial)  # type: ignore[attr-defined]
        serializer.is_valid(raise_exception=True)
        try:
            self.perform_update(serializer)  # type: ignore[attr-defined]
        except StaleObjectError as exc:  # someone saved between our read and our conditional UPDATE
            return self._stale(instance, exc.expected, code)
        if getattr(instance, "_prefetched_objects_cache", None):
            instance._prefetched_objects_cache = {}
        response = Response(serializer.data)
        response["ETag"] = etag_for(instance.row_version)
        return response

    def destroy(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()  # type: ignore[attr-defined]
        _code, refusal = self._precondition(request, instance)
        if refusal is not None:
            return refusal
        self.perform_destroy(instance)  # type: ignore[attr-defined]
        return Response(status=status.HTTP_204_NO_CONTENT)

"""Signal handlers: many-to-many changes on audited models go to the audit log too."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from .choices import AuditAction
from .models import AuditedModel, AuditLog


@receiver(m2m_changed)
def audit_m2m(sender: Any, instance: Any, action: str, reverse: bool, model: Any, pk_set: Any, **kwargs: Any) -> None:
    if reverse or not isinstance(instance, AuditedModel):
        return
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    field = next(
        (f for f in instance._meta.many_to_many if f.remote_field.through is sender),
        None,
    )
    if field is None:
        return
    if action == "pre_clear":
        objs = list(getattr(instance, field.name).all())
    else:
        objs = list(model.objects.filter(pk__in=pk_set or []))
    if not objs:
        return
    names = sorted(str(o) for o in objs)
    change = [None, names] if action == "post_add" else [names, None]
    AuditLog.record(instance, AuditAction.UPDATE, {field.name: change})

"""A document's standing as of a day (效力状态) and its versions (版本：替代关系).

The stored ``status`` is what the manifest or an administrator says; the dates can overrule it as time
passes, so pages, filters and the API read the *current* status, computed in the database by
:func:`with_current_status` (one expression, so the list filter and the badge never disagree):

1. 已被替代 — another document ``replaces`` it, or it is marked so;
2. 已失效 — marked so, or its ``expires`` date has passed;
3. 尚未施行 — marked so, or its ``effective`` date is still ahead;
4. otherwise the stored status (现行有效 / 试行 / 参考资料).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone

from .models import PolicyDocument, Status

BADGE_CSS = {  # status → badge class (app.css: good / bad / neutral)
    Status.IN_FORCE: "good",
    Status.TRIAL: "good",
    Status.NOT_YET: "neutral",
    Status.EXPIRED: "bad",
    Status.REPLACED: "bad",
    Status.REFERENCE: "",
}


def today() -> dt.date:
    """Today in the site's time zone (Asia/Shanghai): the day a document's dates are read against."""
    return timezone.localdate()


def current_status_expression(as_of: dt.date | None = None) -> Case:
    """The current status of each row as a database expression (see the module docstring)."""
    as_of = as_of or today()
    replaced = Exists(PolicyDocument.objects.filter(replaces=OuterRef("pk")))
    return Case(
        When(Q(status=Status.REPLACED) | Q(replaced), then=Value(Status.REPLACED.value)),
        When(Q(status=Status.EXPIRED) | Q(expires__lt=as_of), then=Value(Status.EXPIRED.value)),
        When(Q(status=Status.NOT_YET) | Q(effective__gt=as_of), then=Value(Status.NOT_YET.value)),
        default=F("status"),
        output_field=models.CharField(),
    )


def with_current_status(qs: models.QuerySet, as_of: dt.date | None = None) -> models.QuerySet:
    """``qs`` annotated with ``current_status`` (a :class:`~cityrenew.policies.models.Status` value)."""
    return qs.annotate(current_status=current_status_expression(as_of))


def status_label(value: str) -> str:
    return Status(value).label if value in Status.values else value


def badge_css(value: str) -> str:
    return BADGE_CSS.get(value, "")


def versions(doc: PolicyDocument) -> list[PolicyDocument]:
    """The versions of ``doc`` oldest first (``doc`` included): the chain of ``replaces`` links
    through it. A document nobody replaces and that replaces nothing has one version, itself.

    One query for the documents that take part in any replacement (a handful), the chain walked in
    Python; each returned document carries ``current_status``."""
    linked = list(with_current_status(PolicyDocument.objects.filter(
        Q(replaces__isnull=False) | Q(replaced_by__isnull=False)).distinct()).only(
        "key", "title", "number", "issued", "effective", "expires", "status", "replaces"))
    by_pk = {d.pk: d for d in linked}
    if doc.pk not in by_pk:
        return [doc]
    newer = {d.replaces_id: d for d in linked if d.replaces_id}
    chain = [by_pk[doc.pk]]
    seen = {doc.pk}
    while chain[0].replaces_id in by_pk and chain[0].replaces_id not in seen:  # older ones
        seen.add(chain[0].replaces_id)
        chain.insert(0, by_pk[chain[0].replaces_id])
    while chain[-1].pk in newer and newer[chain[-1].pk].pk not in seen:  # newer ones
        seen.add(newer[chain[-1].pk].pk)
        chain.append(newer[chain[-1].pk])
    return chain

"""Template tags: policy citations (政策依据) and object history (变更记录)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.html import format_html

from cityrenew.catalogue.policies import Citation
from cityrenew.core.audit import display_entries

register = template.Library()


@register.simple_tag
def cite(citation: Citation | None) -> str:
    """A small badge naming the policy document and article, linking to the article in the policy library.

    The link is ``/policies/<key>/<number>/#a<number>`` with the article's heading in the tooltip, found in the
    cached article index (one query for the whole page, none per badge); a citation the library cannot
    resolve links to its document's page instead.
    """
    if citation is None:
        return ""
    from cityrenew.policies.citations import resolve

    doc = citation.doc
    art = resolve(citation)
    if art is not None:
        detail = " · ".join(x for x in [art.title, citation.note] if x)
        return format_html('<a class="cite" href="{}" title="{}" data-article="{}">依据：{}</a>',
                           art.url, detail, f"{citation.document}/{art.number}", str(citation))
    detail = " · ".join(x for x in [doc.issuer, doc.date, citation.note] if x)
    return format_html('<a class="cite" href="/policies/{}/" title="{}" data-unresolved="1">依据：{}</a>', doc.key, detail, str(citation))


@register.inclusion_tag("core/_history.html", takes_context=True)
def object_history(context: Any, obj: Any, limit: int = 50) -> dict[str, Any]:
    from cityrenew.core.permissions import visible_history

    request = context.get("request")
    return {"entries": display_entries(visible_history(getattr(request, "user", None), obj)[:limit])}


@register.filter
def yi(value: Any, places: int = 2) -> str:
    """Render an amount in 亿元 with ``places`` decimals, rounding half up (as the official tables do)."""
    if value in (None, ""):
        return ""
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    q = Decimal(1).scaleb(-int(places))
    return f"{d.quantize(q, rounding=ROUND_HALF_UP):,}"


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    return mapping.get(key) if mapping else None

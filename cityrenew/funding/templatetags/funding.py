"""Template filters of the funding pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def wan(value: Any) -> str:
    """An amount in 万元 as stored (up to 6 decimals), without trailing zeros: ``1200.500000`` → ``1200.5``."""
    if value in (None, ""):
        return "—"
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text

"""Template helpers of the joint review."""

from django import template
from django.urls import NoReverseMatch

register = template.Library()


@register.simple_tag
def plan_url(plan) -> str:
    """The plan's page, or "" while the plans app serves none."""
    try:
        return plan.get_absolute_url()
    except NoReverseMatch:
        return ""


@register.filter
def opinion_badge(opinion: str) -> str:
    return {"agree": "good", "conditional": "neutral", "disagree": "bad"}.get(opinion, "")

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


@register.inclusion_tag("review/_plan_review.html", takes_context=True)
def plan_review(context, plan) -> dict:
    """The plan's review rounds as the current user may read them: ``{% plan_review object %}`` on a plan's page."""
    from ..services import visible_rounds

    user = context.get("request").user if context.get("request") is not None else None
    rounds = list(visible_rounds(user).filter(plan=plan).prefetch_related("records").order_by("-number")) if user else []
    return {"plan": plan, "rounds": [(r, sum(1 for x in r.records.all() if x.opinion), len(r.records.all())) for r in rounds]}

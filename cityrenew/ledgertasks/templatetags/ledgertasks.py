"""``{% ledger_verdict object %}`` on a ledger row's page; ``{% project_ledger_rows project %}`` on a project's."""

from django import template

from ..models import LedgerProjectLink
from ..services import rules_with_articles, verdict_of_row

register = template.Library()


@register.inclusion_tag("ledgertasks/_verdict.html")
def ledger_verdict(obj):
    v = verdict_of_row(obj.kind, obj.pk)
    links = LedgerProjectLink.objects.filter(kind=obj.kind, row_id=obj.pk).select_related("project")
    return {"verdict": v, "rules": rules_with_articles(v) if v else [], "links": links, "kind": obj.kind}


@register.inclusion_tag("ledgertasks/_project_rows.html")
def project_ledger_rows(project):
    return {"links": LedgerProjectLink.objects.filter(project=project)}


@register.inclusion_tag("ledgertasks/_evaluate_form.html", takes_context=True)
def ledger_evaluate_form(context, kind):
    """The 判定全市台账 form on a ledger's list page (市级管理员 only)."""
    from cityrenew.core.permissions import is_city_admin
    from cityrenew.ledgers.rules import available_provinces

    from ..services import city_of, settings_for

    request = context["request"]
    user = request.user
    allowed = is_city_admin(user) or user.is_superuser
    conf = settings_for(city_of(user)) if allowed else None
    return {"allowed": allowed, "kind": kind, "provinces": available_provinces(kind), "settings": conf,
            "csrf_token": context.get("csrf_token")}

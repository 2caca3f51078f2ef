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

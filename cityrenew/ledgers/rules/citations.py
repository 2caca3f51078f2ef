"""Register every packaged renewal rule's citation (a policy module of the ledgers app).

Importing this module calls :func:`cityrenew.catalogue.policies.cite` once per rule of every rule file
in ``data/``, so ``/policies/`` lists each rule under the article it rests on and
``cityrenew policies check-citations`` checks that each resolves to an article of the policy library.
Local rules of a city's rule file cite their own sources and are not registered.
"""

from __future__ import annotations

from cityrenew.catalogue.policies import Citation, cite

from .model import packaged_rulesets


def rule_citations() -> list[Citation]:
    """One citation per packaged rule: document key, canonical article ref, the rule as its name."""
    out = []
    for rs in packaged_rulesets():
        for rule in rs.rules:
            out.append(cite(rule.document, rule.article, f"{rs.label}：{rule.verdict}",
                            rule=f"{rs.province}台账更新规则 {rule.id} {rule.title}"))
    return out


CITATIONS = rule_citations()

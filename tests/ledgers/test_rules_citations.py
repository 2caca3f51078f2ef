"""Every renewal rule cites an article that exists in the policy library (ingested from the seeds)."""

from __future__ import annotations

import pytest

from cityrenew.ledgers.rules import packaged_rulesets

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def ingested(django_db_setup, django_db_blocker):
    from cityrenew.policies.ingest import ingest_seeds

    with django_db_blocker.unblock():
        ingest_seeds()


def test_every_rule_resolves_to_its_article(ingested):
    from cityrenew.ledgers.rules.citations import rule_citations
    from cityrenew.policies import citations

    citations.clear_cache()
    cited = rule_citations()
    assert len(cited) == sum(len(rs.rules) for rs in packaged_rulesets())
    problems = [citations.problem(c) for c in cited]
    assert [p for p in problems if p] == []
    for rs in packaged_rulesets():
        for rule in rs.rules:
            article = citations.resolve_article(rule.citation)
            assert article is not None, rule.id
            assert article.document.key == rule.document


def test_the_article_text_carries_the_rule_threshold(ingested):
    """The article a rule cites is the one with its words (a row's page shows this text)."""
    from cityrenew.policies import citations

    by_id = {r.id: r for rs in packaged_rulesets() for r in rs.rules}
    for rule_id, words in [("HA-A1-5b", "35"), ("HE-2-1c", "运行满 20 年"), ("GD-2-7e", "未满 20 年"),
                           ("BJ-2-1a", "1980"), ("GBF-2-1", "2000 年底前"), ("SX-2-4", "满 50年"),
                           ("SH-2-1", "满 15 年"), ("CPC-2-1b", "D级")]:
        text = citations.resolve_article(by_id[rule_id].citation).text
        assert words.replace(" ", "") in text.replace(" ", ""), (rule_id, text[:200])

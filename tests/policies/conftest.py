"""Policy library fixtures: ``library`` builds the whole library once per test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def library(django_db_setup, django_db_blocker):
    """Every document of the manifest ingested (seed documents and excerpt documents), once per session."""
    from cityrenew.policies.excerpts import ingest_excerpts

    with django_db_blocker.unblock():
        try:
            from cityrenew.policies.ingest import ingest_seeds
        except ImportError:  # before the seed ingest exists: the excerpt documents only
            ingest_excerpts()
        else:
            ingest_seeds()
    yield

"""Policy library fixtures: ``library`` builds the whole library once per test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def library(django_db_setup, django_db_blocker):
    """Every document of the manifest ingested (seed documents and excerpt documents), once per session."""
    from cityrenew.policies.ingest import ingest_seeds

    with django_db_blocker.unblock():
        result = ingest_seeds()
    yield result

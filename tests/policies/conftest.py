"""Fixtures of the policy library tests: the library ingested from the seeds once per test database.

``library`` ingests the seed documents once per session (per xdist worker: each has its own
database), committed, so every test sees them; a test inside a transaction rolls its own changes
back. A transactional test (``transaction=True``, live server) empties the tables when it ends, so
the fixture ingests again when it finds the library gone (ingest is idempotent).
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def _library_once(django_db_setup, django_db_blocker):
    from cityrenew.policies.ingest import ingest_seeds

    with django_db_blocker.unblock():
        return ingest_seeds()


@pytest.fixture
def library(_library_once, db):
    """Every manifest document ingested: ``{key: PolicyDocument}``."""
    from cityrenew.catalogue.policies import DOCUMENTS
    from cityrenew.policies.ingest import ingest_seeds
    from cityrenew.policies.models import PolicyDocument

    if PolicyDocument.objects.filter(key__in=list(DOCUMENTS)).count() != len(DOCUMENTS) or \
            not PolicyDocument.objects.filter(key="JS-2024-3", articles__isnull=False).exists():
        ingest_seeds()
    return {d.key: d for d in PolicyDocument.objects.all()}

"""The public notice page's cache (公示页面缓存): one version per notice, seen by every process.

The rendered page is kept per process (the ``default`` cache) under the key
``notices:page:<id>:<version>:<date>``; the version lives in the ``shared`` cache (a file per key
under ``CITYRENEW_DATA_DIR/cache``, read by every gunicorn process on the host) and is replaced by a
new random token whenever the notice or one of its comments is saved or deleted — at once, and again
when the transaction commits, so a page rendered from the old rows in between is never served under
the final version. Serving a cached page reads one small file and touches no database; the date in
the key re-renders the countdown every day.
"""

from __future__ import annotations

import uuid

from django.core.cache import caches
from django.db import transaction


def _key(pk: int) -> str:
    return f"notices:version:{pk}"


def version(pk: int) -> str | None:
    return caches["shared"].get(_key(pk))


def bump(pk: int) -> str:
    """Give notice ``pk`` a new page version (now, and again after the surrounding transaction commits)."""
    def _new() -> None:
        caches["shared"].set(_key(pk), uuid.uuid4().hex)

    _new()
    transaction.on_commit(_new)
    return caches["shared"].get(_key(pk))


def ensure(pk: int) -> str:
    """The current version of notice ``pk``, creating one when the shared cache has none."""
    v = version(pk)
    if v is None:
        caches["shared"].add(_key(pk), uuid.uuid4().hex)
        v = version(pk)
    return v or "none"

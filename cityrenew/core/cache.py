"""The file-based cache shared by the processes of one host, created when first written.

Django's ``FileBasedCache`` creates its directory as soon as it is instantiated — and its system check
instantiates every configured cache, so any command (``cityrenew restore`` of a damaged archive included)
would leave ``<data dir>/cache`` behind. This one creates the directory on the first write only (Django's
``set`` creates it anyway), so a command that writes nothing leaves the data directory as it was.
"""

from __future__ import annotations

import os

from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.filebased import FileBasedCache


class LazyFileBasedCache(FileBasedCache):
    def __init__(self, dir, params):  # noqa: A002 - Django's signature
        BaseCache.__init__(self, params)
        self._dir = os.path.abspath(dir)

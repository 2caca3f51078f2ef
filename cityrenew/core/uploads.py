"""Uploads kept between an import's dry run and its confirmation (试运行 → 确认导入).

The file is stored under ``CITYRENEW_DATA_DIR/uploads/<kind>/`` with a random name; the confirm form
carries only that name (the token), which is checked against a strict pattern, so no path from the
client is ever opened.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings

TOKEN_RE = re.compile(r"^[0-9a-f]{32}(\.[a-z0-9]{1,8})$")


def upload_dir(kind: str) -> Path:
    """``CITYRENEW_DATA_DIR/uploads/<kind>/``, created when missing."""
    d = Path(settings.DATA_DIR) / "uploads" / kind
    d.mkdir(parents=True, exist_ok=True)
    return d


def stash_upload(upload: Any, kind: str) -> tuple[str, Path]:
    """Write an uploaded file under a random name; returns (token, path). The suffix is kept."""
    suffix = Path(upload.name or "").suffix.lower()
    token = uuid.uuid4().hex + suffix
    path = upload_dir(kind) / token
    with open(path, "wb") as fh:
        fh.writelines(upload.chunks())
    return token, path


def stashed_upload(kind: str, token: str, suffixes: Iterable[str]) -> Path | None:
    """The stashed file named by ``token`` (from a confirm form), or None when invalid or gone."""
    m = TOKEN_RE.match(token or "")
    if m is None or m.group(1) not in set(suffixes):
        return None
    path = upload_dir(kind) / token
    return path if path.is_file() else None

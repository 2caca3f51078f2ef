"""What the two-database benchmarks share (map_bench, policies_bench): each database is measured in a
child process of the benchmark script (``--child --database-url URL``) that prints one ``RESULT {json}``
line; on PostgreSQL the child works in a scratch database, dropped afterwards.

Imported by the scripts as a plain module (``python bench/X.py`` puts ``bench/`` on the path).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent


def postgres_url(given: str | None) -> str | None:
    """``--postgres``, else CITYRENEW_BENCH_POSTGRES, else DATABASE_URL when it is PostgreSQL."""
    db = os.environ.get("DATABASE_URL", "")
    return given or os.environ.get("CITYRENEW_BENCH_POSTGRES") or (
        db if db.startswith(("postgres://", "postgresql://")) else None)


@contextmanager
def scratch_postgres(url: str) -> Iterator[str]:
    """A fresh database on the server of ``url`` (its URL), dropped on leaving."""
    import psycopg

    name = f"cityrenew_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(url)._replace(path="/" + name).geturl()
    finally:
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_child(script: str, url: str, extra: list[str], *, timeout: int) -> dict | None:
    """Run ``script --child --database-url URL *extra`` with this repository first on the path; its
    ``RESULT`` line, or ``None`` (its output's tail on stderr)."""
    cmd = [sys.executable, script, "--child", "--database-url", url, *extra]
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-5000:])
    return None


def setup_django(url: str, data_dir: Path, *, test_client: bool = False) -> None:
    """Django in a child: ``url``'s database, production settings over plain HTTP (settings_test), no
    query log in memory; ``test_client``: the test client's host (testserver) allowed."""
    os.environ["DATABASE_URL"] = url
    os.environ["CITYRENEW_DATA_DIR"] = str(data_dir)
    os.environ["CITYRENEW_DEBUG"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "cityrenew.settings_test"
    import django

    django.setup()
    if test_client:
        from django.test.utils import setup_test_environment

        setup_test_environment()

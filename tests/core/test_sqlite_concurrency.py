"""SQLite under concurrent writers: no `database is locked`, no lost update.

A subprocess (real SQLite file, the project's own connection settings: WAL, busy timeout, IMMEDIATE
transactions) runs 50 threads that each increment a shared counter 20 times (read, then write, in one
transaction) while a long transaction keeps writing for about 3 seconds. With the project's settings
every writer waits its turn: 0 errors and the counter is exactly 1,000. The same workload with Django's
default DEFERRED transactions fails: a transaction that read first cannot take the write lock once
another writer has committed, and SQLite answers `database is locked` at once instead of waiting.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

THREADS = 50
INCREMENTS = 20

SCRIPT = r"""
import json, os, sys, threading, time
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "cityrenew.settings"
django.setup()
from django.conf import settings
from django.db import connection, connections, transaction, OperationalError

mode = sys.argv[1]
if mode != "project":
    settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] = mode
threads, increments = int(sys.argv[2]), int(sys.argv[3])

with connection.cursor() as cur:
    cur.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
    cur.execute("CREATE TABLE long_rows (id INTEGER PRIMARY KEY, payload TEXT)")
    cur.execute("INSERT INTO counter (id, value) VALUES (1, 0)")
    cur.execute("PRAGMA journal_mode")
    journal = cur.fetchone()[0]
connection.close()

errors, done = [], []
lock = threading.Lock()
start = threading.Barrier(threads + 1)

def long_writer():
    start.wait()
    try:
        with transaction.atomic():
            with connection.cursor() as cur:
                for i in range(30):
                    cur.execute("INSERT INTO long_rows (payload) VALUES (%s)", ["x" * 1000])
                    time.sleep(0.1)
    except OperationalError as exc:
        with lock:
            errors.append("long: " + str(exc))
    finally:
        connection.close()

def incrementer():
    start.wait()
    time.sleep(0.2)  # the long transaction is under way
    for _ in range(increments):
        try:
            with transaction.atomic():
                with connection.cursor() as cur:
                    cur.execute("SELECT value FROM counter WHERE id = 1")
                    value = cur.fetchone()[0]
                    cur.execute("UPDATE counter SET value = %s WHERE id = 1", [value + 1])
            with lock:
                done.append(1)
        except OperationalError as exc:
            with lock:
                errors.append(str(exc))
    connection.close()

workers = [threading.Thread(target=long_writer)] + [threading.Thread(target=incrementer) for _ in range(threads)]
for t in workers:
    t.start()
for t in workers:
    t.join()
with connection.cursor() as cur:
    cur.execute("SELECT value FROM counter WHERE id = 1")
    counter = cur.fetchone()[0]
    cur.execute("SELECT COUNT(*) FROM long_rows")
    long_rows = cur.fetchone()[0]
print(json.dumps({"journal": journal, "counter": counter, "committed": len(done), "long_rows": long_rows,
                  "errors": len(errors), "messages": sorted(set(errors))[:3]}))
"""


def run_workload(tmp_path: Path, mode: str) -> dict:
    db = tmp_path / f"{mode}.sqlite3"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{db}", CITYRENEW_DATA_DIR=str(tmp_path / "data"),
               CITYRENEW_SQLITE_TIMEOUT="60")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    p = subprocess.run([sys.executable, "-c", SCRIPT, mode, str(THREADS), str(INCREMENTS)],
                       env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_fifty_writers_and_a_long_transaction_queue_without_errors(tmp_path):
    result = run_workload(tmp_path, "project")
    assert result["journal"] == "wal"
    assert result["errors"] == 0, result["messages"]
    assert result["committed"] == THREADS * INCREMENTS
    assert result["counter"] == THREADS * INCREMENTS  # no lost update
    assert result["long_rows"] == 30


def test_default_deferred_transactions_fail_under_the_same_load(tmp_path):
    """The other side: without IMMEDIATE the same workload hits `database is locked`."""
    result = run_workload(tmp_path, "DEFERRED")
    assert result["errors"] > 0
    assert any("database is locked" in m for m in result["messages"])
    assert result["counter"] == result["committed"]  # failed transactions wrote nothing

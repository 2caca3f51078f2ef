"""The real worker path: ``cityrenew worker`` in a subprocess on its own database.

SQLite: a database file; PostgreSQL (when ``DATABASE_URL`` points at one): a fresh database on the
same server. The worker is killed with SIGKILL while a large import holds its write transaction;
the library, its totals and the audit log are unchanged, and the restarted worker marks the job 失败.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dj_database_url
import pytest

pytestmark = pytest.mark.django_db(False)

CITYRENEW = Path(sys.executable).with_name("cityrenew")
DISTRICTS = ["中原区", "二七区", "金水区", "管城回族区", "惠济区", "上街区"]
N_BIG = 30_000  # rows of the import that is killed (its write takes seconds, even on a fast machine)


class Database:
    """A database of the worker's own, reached by the test through the plain driver."""

    def __init__(self, tmp_path: Path):
        url = os.environ.get("DATABASE_URL", "")
        self.pg = url.startswith(("postgres://", "postgresql://"))
        if self.pg:
            cfg = dj_database_url.parse(url)
            self.name = f"cityrenew_worker_{uuid.uuid4().hex[:10]}"
            self.server = dict(host=cfg["HOST"] or None, port=cfg["PORT"] or None, user=cfg["USER"] or None,
                               password=cfg["PASSWORD"] or None)
            with self._connect(cfg["NAME"] or "postgres") as con:
                con.execute(f'CREATE DATABASE "{self.name}"')
            auth = f"{cfg['USER']}:{cfg['PASSWORD']}@" if cfg["USER"] else ""
            self.url = f"postgres://{auth}{cfg['HOST'] or 'localhost'}:{cfg['PORT'] or 5432}/{self.name}"
            self.admin_db = cfg["NAME"] or "postgres"
        else:
            self.path = tmp_path / "worker.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def _connect(self, dbname: str):
        import psycopg

        return psycopg.connect(dbname=dbname, autocommit=True, **{k: v for k, v in self.server.items() if v})

    def query(self, sql: str) -> list[tuple]:
        if self.pg:
            with self._connect(self.name) as con:
                return con.execute(sql).fetchall()
        con = sqlite3.connect(self.path, timeout=30)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def write_locked(self) -> bool:
        """True while another connection holds an open write transaction on the project table."""
        if self.pg:
            return bool(self.query(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = 'projects_renewalproject' AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()"
            )[0][0])
        con = sqlite3.connect(self.path, timeout=0)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as exc:
            return "locked" in str(exc)
        finally:
            con.close()

    def drop(self) -> None:
        if self.pg:
            with self._connect(self.admin_db) as con:
                con.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture
def worker_env(tmp_path):
    db = Database(tmp_path)
    # progress written every 10 ms: a fast machine validates the 30,000 rows in about 0.25 s, inside one
    # default 0.5 s interval, and the test would never see a value between the first and the last
    env = dict(os.environ, DATABASE_URL=db.url, CITYRENEW_DATA_DIR=str(tmp_path / "data"), CITYRENEW_DEBUG="0",
               PYTHONUNBUFFERED="1", CITYRENEW_JOBS_PROGRESS_EVERY="0.01")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    try:
        for args in (["migrate", "-v", "0"], ["regions", "load"]):
            r = subprocess.run([str(CITYRENEW), *args], env=env, capture_output=True, text=True, timeout=600)
            assert r.returncode == 0, r.stderr[-2000:]
        yield db, env, tmp_path
    finally:
        db.drop()


def cli(env, *args, timeout=900) -> subprocess.CompletedProcess:
    return subprocess.run([str(CITYRENEW), *args], env=env, capture_output=True, text=True, timeout=timeout)


def write_csv(path: Path, n: int, year: int) -> None:
    lines = ["序号,项目编号,项目名称,项目总投资（亿元）,区域"]
    for i in range(n):
        batch, seq = divmod(i, 1000)
        lines.append(f"{i + 1},K{year}{batch:02d}{seq:03d},测试更新项目{year}-{i + 1},{(i % 97) + 1}.{i % 1000:03d},"
                     f"{DISTRICTS[i % len(DISTRICTS)]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def launch_import(env, data_dir: Path, csv_path: Path) -> int:
    """Put an import job in the queue as the import page does (the file kept under uploads/)."""
    token = uuid.uuid4().hex + ".csv"
    folder = data_dir / "uploads" / "project-imports"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(csv_path, folder / token)
    script = (
        "from django.contrib.auth import get_user_model;"
        "from cityrenew.jobs.runner import launch;"
        "U = get_user_model();"
        "u = U.objects.filter(username='importer').first() or U.objects.create_superuser('importer', password='x-Passw0rd!');"
        f"job = launch('projects.import', owner=u, title='导入项目：{csv_path.name}', source='import', token='{token}', "
        f"filename='{csv_path.name}', batch_no='测试〔2026〕{csv_path.stem}号', dry_run=False);"
        "print(job.pk)"
    )
    r = cli(env, "shell", "-c", script)
    assert r.returncode == 0, r.stderr[-2000:]
    return int(r.stdout.strip().splitlines()[-1])


def state(db: Database) -> dict:
    (count, micro), = db.query("SELECT count(*), coalesce(sum(investment_micro), 0) FROM projects_renewalproject")
    return {
        "projects": count, "micro": int(micro),
        "links": db.query("SELECT count(*) FROM projects_renewalproject_districts")[0][0],
        "audit": db.query("SELECT count(*) FROM core_auditlog")[0][0],
        "batches": db.query("SELECT count(*) FROM projects_adjustmentbatch")[0][0],
        "changes": db.query("SELECT count(*) FROM projects_projectchange")[0][0],
    }


def job_row(db: Database, pk: int) -> dict:
    cols = ["status", "progress_done", "progress_total", "progress_message", "error", "worker", "attempts", "result_summary"]
    row = db.query(f"SELECT {', '.join(cols)} FROM jobs_job WHERE id = {pk}")[0]
    out = dict(zip(cols, row))
    if isinstance(out["result_summary"], str):
        out["result_summary"] = json.loads(out["result_summary"])
    return out


def test_worker_runs_a_job_and_a_killed_import_leaves_nothing_written(worker_env):
    db, env, tmp = worker_env
    data_dir = Path(env["CITYRENEW_DATA_DIR"])

    # 1. the real worker runs a small import job end to end
    small = tmp / "small.csv"
    write_csv(small, 200, 2024)
    first = launch_import(env, data_dir, small)
    assert job_row(db, first)["status"] == "queued"
    r = cli(env, "worker", "--batch")
    assert r.returncode == 0, r.stderr[-2000:]
    job = job_row(db, first)
    assert job["status"] == "succeeded", job
    assert job["result_summary"]["text"].startswith("导入完成：共 200 行，新增 200 个")
    before = state(db)
    assert before["projects"] == 200 and before["audit"] >= 200

    # 2. a large import; the worker is killed while the import holds its write transaction
    big = tmp / "big.csv"
    write_csv(big, N_BIG, 2025)
    pk = launch_import(env, data_dir, big)
    worker = subprocess.Popen([str(CITYRENEW), "worker", "--interval", "0.2"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 600
        seen_progress = False
        while time.monotonic() < deadline:
            assert worker.poll() is None, worker.stdout.read().decode()[-2000:]
            job = job_row(db, pk)
            assert job["status"] in ("queued", "running"), job
            seen_progress |= 0 < job["progress_done"] < N_BIG
            if "写入数据库" in job["progress_message"] and db.write_locked():
                break
            time.sleep(0.05)
        else:
            pytest.fail("the import never reached its write")
        time.sleep(0.3)  # well inside the write: projects, links and audit rows are being inserted
        assert db.write_locked(), "the write finished before the kill; make N_BIG larger"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert seen_progress, "no progress was reported while the rows were validated"
    job = job_row(db, pk)
    assert job["status"] == "running" and job["worker"].endswith(f":{worker.pid}")
    assert state(db) == before  # nothing of the killed import

    # 3. the restarted worker finds the dead job and marks it 失败 (an import is not re-run by itself)
    r = cli(env, "worker", "--batch")
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"任务 #{pk}「导入项目：big.csv」的工作进程已退出：已标记为失败" in r.stdout
    job = job_row(db, pk)
    assert job["status"] == "failed"
    assert job["error"] == "后台工作进程在任务运行中意外退出，任务已中止；数据库未做任何修改，请重新提交。"
    assert state(db) == before
    # the queue's own record of the killed task is closed too
    assert db.query("SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'")[0][0] == 0
    assert db.query("SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'FAILED'")[0][0] == 1

"""``cityrenew backup`` / ``cityrenew restore`` round trip through the real console script, on scratch
databases of the kind the suite runs on (SQLite files; PostgreSQL databases in CI's second run).

The source is the demo (project library, check-up runs, tasks, problems, audit log) plus uploaded
files; the restored database must hold the same rows in every table, the same audit log (no row
added by the restore), the same official totals, and byte-identical files.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest
from conftest import ScratchDatabase, ScratchDatabases, cli_runner

from django.apps import apps

from cityrenew.core.backup import MIGRATE_SEEDED, backup_models

pytestmark = [pytest.mark.slow, pytest.mark.django_db(False)]


def _tables() -> dict[str, tuple[str, str]]:
    """model label → (table, primary key column)"""
    return {m._meta.label_lower: (m._meta.db_table, m._meta.pk.column) for m in backup_models()}


def _contents(db) -> dict[str, list[tuple]]:
    return {label: db.rows(f'SELECT * FROM "{table}" ORDER BY "{pk}"') for label, (table, pk) in _tables().items()}


def _files(root: Path) -> dict[str, bytes]:
    """Every file a backup carries (secret files stay on their machine)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "secret" not in p.name.lower()}


def _summary(cli, data: Path) -> dict:
    r = cli("projects", "summary", "--format", "json", CITYRENEW_DATA_DIR=str(data))
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """The demo on a scratch database, with uploads (binary, nested, Chinese names) in its data dir;
    shared by the tests of this module, which only read it."""
    tmp = tmp_path_factory.mktemp("backup-source")
    databases = ScratchDatabases(tmp)
    data = tmp / "source-data"
    data.mkdir()
    cli = cli_runner(databases("source"), data)
    r = cli("demo", "--no-serve")
    assert r.returncode == 0, r.stderr[-3000:]
    evidence = data / "uploads" / "evidence" / "2025" / "现场照片.jpg"
    evidence.parent.mkdir(parents=True)
    evidence.write_bytes(os.urandom(200_000))
    (data / "uploads" / "project-imports").mkdir(parents=True, exist_ok=True)
    (data / "uploads" / "project-imports" / "项目库.csv").write_text("序号,项目编号\n1,K202201001\n", encoding="utf-8")
    yield cli, data
    databases.drop_all()


def test_backup_restore_round_trip(tmp_path, source, scratch_db):
    cli, data = source
    archive = tmp_path / "cityrenew-备份.tar.gz"
    r = cli("backup", "--out", str(archive), CITYRENEW_DATA_DIR=str(data))
    assert r.returncode == 0, r.stderr
    assert "已备份" in r.stdout
    before = _contents(cli.database)
    assert sum(map(len, before.values())) > 2000 and len(before["core.auditlog"]) > 1000
    assert before["projects.renewalproject_districts"] and before["checkup.departmenttask_indicators"]

    # the manifest: versions, the source database, rows per table, a checksum per member
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        names = tar.getnames()
    assert manifest["database"]["vendor"] == cli.database.vendor
    assert manifest["rows"] == {label: len(rows) for label, rows in before.items()}
    assert manifest["versions"]["django"] and manifest["migrations"]
    assert "files/uploads/evidence/2025/现场照片.jpg" in names and "files/reports/郑州市2025年城市体检报告.docx" in names
    assert all(len(m["sha256"]) == 64 for m in manifest["members"].values())

    # restore into an empty database and an empty data directory
    target = scratch_db("target")
    restored_data = tmp_path / "restored-data"
    r = cli("restore", str(archive), DATABASE_URL=target.url, CITYRENEW_DATA_DIR=str(restored_data))
    assert r.returncode == 0, r.stderr
    after = _contents(target)
    assert {k: len(v) for k, v in after.items()} == {k: len(v) for k, v in before.items()}
    assert after == before  # every row of every table, the audit log included: no row written by the restore
    assert _files(restored_data) == _files(data)
    summary = _summary(lambda *a, **e: cli(*a, DATABASE_URL=target.url, **e), restored_data)
    assert (summary["total"], summary["count"]) == ("7895.45", 276)
    assert summary == _summary(cli, data)

    # the restored database keeps working: new rows get fresh keys (sequences reset) and are audited
    audit_rows = target.scalar("SELECT COUNT(*) FROM core_auditlog")
    csv = tmp_path / "one.csv"
    csv.write_text("序号,项目编号,项目名称,项目总投资（亿元）,区域\n1,K202507999,恢复后新增项目,1.5,中原区\n", encoding="utf-8")
    r = cli("projects", "import", str(csv), DATABASE_URL=target.url, CITYRENEW_DATA_DIR=str(restored_data))
    assert r.returncode == 0, r.stdout + r.stderr
    assert target.scalar("SELECT COUNT(*) FROM core_auditlog") > audit_rows
    assert target.scalar("SELECT MAX(id) FROM projects_renewalproject") > max(row[0] for row in before["projects.renewalproject"])

    # a second restore into the now non-empty database is refused, and changes nothing
    count = target.scalar("SELECT COUNT(*) FROM core_auditlog")
    r = cli("restore", str(archive), DATABASE_URL=target.url, CITYRENEW_DATA_DIR=str(tmp_path / "other"))
    assert r.returncode != 0 and "只能恢复到空数据库" in r.stderr
    assert target.scalar("SELECT COUNT(*) FROM core_auditlog") == count

    # an existing backup file is never overwritten
    r = cli("backup", "--out", str(archive), CITYRENEW_DATA_DIR=str(data))
    assert r.returncode != 0 and "备份文件已存在" in r.stderr


def _rewrite(archive: Path, out: Path, change) -> None:
    """Copy ``archive`` to ``out``, passing (name, bytes) of each member through ``change``."""
    with tarfile.open(archive) as src, tarfile.open(out, "w:gz") as dst:
        for member in src:
            data = change(member.name, src.extractfile(member).read())
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


def test_damaged_or_inconsistent_backups_leave_the_target_empty(tmp_path, source, scratch_db):
    cli, data = source
    archive = tmp_path / "b.tar.gz"
    assert cli("backup", "--out", str(archive), CITYRENEW_DATA_DIR=str(data)).returncode == 0

    # a flipped byte in an upload: the checksum catches it before anything is loaded
    flipped = tmp_path / "flipped.tar.gz"
    _rewrite(archive, flipped, lambda n, b: bytes([b[0] ^ 1]) + b[1:] if n.endswith("现场照片.jpg") else b)
    target = scratch_db("damaged")
    r = cli("restore", str(flipped), DATABASE_URL=target.url, CITYRENEW_DATA_DIR=str(tmp_path / "d1"))
    assert r.returncode != 0 and "校验和与清单不符" in r.stderr
    assert not (tmp_path / "d1").exists()

    # a manifest claiming one more audit row than the dump holds: rows are loaded, the count
    # check fails, and the single transaction leaves every table empty
    def more_rows(name, b):
        if name != "manifest.json":
            return b
        m = json.loads(b)
        m["rows"]["core.auditlog"] += 1
        return json.dumps(m).encode()

    bad = tmp_path / "bad.tar.gz"
    _rewrite(archive, bad, more_rows)
    r = cli("restore", str(bad), DATABASE_URL=target.url, CITYRENEW_DATA_DIR=str(tmp_path / "d2"))
    assert r.returncode != 0 and "已撤销恢复" in r.stderr
    seeded = {apps.get_model(label)._meta.db_table for label in MIGRATE_SEEDED}  # rows `migrate` itself writes
    for table, _ in _tables().values():
        if table not in seeded:
            assert target.scalar(f'SELECT COUNT(*) FROM "{table}"') == 0, table
    assert not (tmp_path / "d2").exists()

    # a backup from another schema version (one migration more than this code has) is refused
    def newer_schema(name, b):
        if name != "manifest.json":
            return b
        m = json.loads(b)
        m["migrations"].append("projects.9999_from_the_future")
        return json.dumps(m).encode()

    newer = tmp_path / "newer.tar.gz"
    _rewrite(archive, newer, newer_schema)
    r = cli("restore", str(newer), DATABASE_URL=target.url, CITYRENEW_DATA_DIR=str(tmp_path / "d3"))
    assert r.returncode != 0 and "数据库结构版本不一致" in r.stderr and "projects.9999_from_the_future" in r.stderr
    assert target.scalar("SELECT COUNT(*) FROM core_auditlog") == 0

    # not a backup at all
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar file")
    r = cli("restore", str(junk), DATABASE_URL=target.url)
    assert r.returncode != 0 and "无法读取备份文件" in r.stderr


def test_a_backup_restores_into_the_other_database_kind(tmp_path, source):
    """The archive is portable: on PostgreSQL (CI's second run) this restores a PostgreSQL backup into
    SQLite; on SQLite it is one more SQLite round trip."""
    cli, data = source
    archive = tmp_path / "b.tar.gz"
    assert cli("backup", "--out", str(archive), CITYRENEW_DATA_DIR=str(data)).returncode == 0
    target = ScratchDatabase(f"sqlite:///{tmp_path / 'target.sqlite3'}", "sqlite")
    r = cli("restore", str(archive), DATABASE_URL=target.url, CITYRENEW_DATA_DIR=str(tmp_path / "restored"))
    assert r.returncode == 0, r.stderr
    counts = {label: target.scalar(f'SELECT COUNT(*) FROM "{table}"') for label, (table, _) in _tables().items()}
    assert counts == {label: cli.database.scalar(f'SELECT COUNT(*) FROM "{table}"') for label, (table, _) in _tables().items()}
    summary = _summary(lambda *a, **e: cli(*a, DATABASE_URL=target.url, **e), tmp_path / "restored")
    assert summary == _summary(cli, data) and (summary["total"], summary["count"]) == ("7895.45", 276)

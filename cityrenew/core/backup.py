"""Backup and restore (备份与恢复): the whole database and the data directory in one portable archive.

The archive is a gzip-compressed tar file, the same for SQLite and PostgreSQL:

- ``manifest.json`` — format version, CityRenew/Django/Python versions, the source database, the
  applied migrations, rows per model, and the size and SHA-256 of every other member;
- ``db/<app>.<model>.jsonl`` — every row of every model (auto-created many-to-many tables included),
  in Django's JSON Lines serialisation, primary keys kept, ordered by primary key;
- ``files/<path>`` — every file under ``CITYRENEW_DATA_DIR`` (uploads, evidence, photos, reports,
  job results) except collected static files, the database file itself and secret files.

A backup reads the database inside one transaction (a consistent snapshot: repeatable read on
PostgreSQL, one read transaction on SQLite). A restore migrates the target first, refuses unless the
database holds no data and its migrations equal the backup's, checks every checksum, then loads all
rows in one transaction as raw inserts (what ``save_base(raw=True)`` does, batched: no
``AuditedModel.save``, hence no new audit rows, and no signals; many-to-many rows come from their own
tables, so no ``m2m_changed`` either), checks the row counts and the foreign keys, resets
PostgreSQL's sequences, and only then moves the files into place.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import io
import json
import os
import platform
import shutil
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "cityrenew-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Rows that ``migrate`` itself writes into a new database; a restore replaces them with the backup's
# (their primary keys are referenced, e.g. AuditLog.content_type), every other table must be empty.
# tables a fresh database already has rows in after `migrate` (replaced by the backup's rows on restore)
MIGRATE_SEEDED = ("auth.permission", "contenttypes.contenttype", "centralfund.provincecapregion")
SKIPPED_DIRS = ("static", "mosquitto")  # collectstatic output, rebuilt from the code; the MQTT broker's files, rewritten by serve
CHUNK = 2000  # rows read per query while dumping
INSERT_BATCH = 1000  # rows kept in memory while loading (inserted in as few statements as the database allows)


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder keeps only milliseconds of a time; a backup keeps every microsecond."""

    def default(self, o: Any) -> Any:
        if isinstance(o, (datetime.datetime, datetime.time)) and o.microsecond:
            return o.isoformat()
        return super().default(o)


class BackupError(Exception):
    """A backup or restore was refused; ``str(exc)`` is the Chinese message for the operator."""


@dataclass
class BackupResult:
    path: Path
    rows: dict[str, int]
    files: int
    bytes: int


@dataclass
class RestoreResult:
    rows: dict[str, int]
    files: int
    manifest: dict[str, Any] = field(default_factory=dict)


def backup_models() -> list[type[models.Model]]:
    """Every table the platform keeps, in a stable order (app registry order, then model name): the managed
    models and the unmanaged ones whose table a migration creates (``backup = True`` on the model, e.g. the
    lifeline readings, partitioned on PostgreSQL)."""
    return [
        m for m in apps.get_models(include_auto_created=True)
        if (m._meta.managed or getattr(m, "backup", False)) and not m._meta.proxy and not m._meta.swapped
    ]


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return ""


def _database_files(alias: str) -> set[Path]:
    db = settings.DATABASES[alias]
    if connections[alias].vendor != "sqlite" or not db.get("NAME"):
        return set()
    name = Path(str(db["NAME"])).resolve()
    return {name, name.with_name(name.name + "-wal"), name.with_name(name.name + "-shm"),
            name.with_name(name.name + "-journal")}


def data_files(alias: str = DEFAULT_DB_ALIAS) -> list[tuple[str, Path]]:
    """(archive path, file) of every file under DATA_DIR that belongs in a backup."""
    root = Path(settings.DATA_DIR)
    if not root.is_dir():
        return []
    skip = _database_files(alias)
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or path.is_symlink() or rel.parts[0] in SKIPPED_DIRS:
            continue
        if path.resolve() in skip or "secret" in path.name.lower():
            continue
        out.append((rel.as_posix(), path))
    return out


def _applied_migrations(alias: str) -> list[str]:
    recorder = MigrationRecorder(connections[alias])
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


def create_backup(out: str | Path, alias: str = DEFAULT_DB_ALIAS) -> BackupResult:
    """Write the database and the data directory to ``out`` (.tar.gz); the file appears only when complete."""
    out = Path(out)
    if out.exists():
        raise BackupError(f"备份文件已存在：{out}（请换一个文件名，避免覆盖已有备份）")
    if not out.parent.is_dir():
        raise BackupError(f"备份目录不存在：{out.parent}")
    connection = connections[alias]
    rows: dict[str, int] = {}
    members: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="cityrenew-backup-") as tmp:
        dumps = []
        with transaction.atomic(using=alias):
            if connection.vendor == "postgresql":  # one snapshot for every table
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            for model in backup_models():
                label = _label(model)
                name = f"db/{label}.jsonl"
                dump = Path(tmp) / f"{label}.jsonl"
                qs = model._base_manager.using(alias).order_by("pk")
                # many-to-many fields are left out: their tables are dumped as models of their own
                fields = [name for f in model._meta.local_fields if not f.primary_key for name in (f.name, f.attname)]
                with open(dump, "w", encoding="utf-8") as fh:
                    serializers.serialize("jsonl", qs.iterator(chunk_size=CHUNK), stream=fh, fields=fields,
                                          cls=ExactJSONEncoder)
                rows[label] = qs.count()
                dumps.append((name, dump))
            migrations = _applied_migrations(alias)
        files = [(f"files/{rel}", path) for rel, path in data_files(alias)]
        for name, path in dumps + files:
            members[name] = {"size": path.stat().st_size, "sha256": _sha256(path)}
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created": timezone.localtime().isoformat(timespec="seconds"),
            "versions": {"cityrenew": _version("cityrenew"), "django": _version("django"),
                         "python": platform.python_version()},
            "database": {"vendor": connection.vendor, "server": _server_version(connection)},
            "migrations": migrations,
            "rows": rows,
            "files": len(files),
            "members": members,
        }
        part = out.with_name(out.name + ".part")
        try:
            with tarfile.open(part, "w:gz") as tar:
                data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(data), int(timezone.now().timestamp()), 0o644
                tar.addfile(info, io.BytesIO(data))
                for name, path in dumps + files:
                    tar.add(str(path), arcname=name, recursive=False)
            os.replace(part, out)
        finally:
            part.unlink(missing_ok=True)
    return BackupResult(out, rows, len(files), out.stat().st_size)


def _server_version(connection) -> str:
    if connection.vendor == "postgresql":
        return str(connection.pg_version)
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version
    return ""


def read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        manifest = json.load(tar.extractfile(MANIFEST))  # type: ignore[arg-type]
    except (KeyError, ValueError, AttributeError):
        raise BackupError("不是 CityRenew 备份文件：缺少或无法读取 manifest.json") from None
    if manifest.get("format") != FORMAT:
        raise BackupError("不是 CityRenew 备份文件：manifest.json 的格式标识不符")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"备份格式版本 {manifest.get('format_version')} 不受支持（本程序支持版本 {FORMAT_VERSION}）")
    return manifest


def _safe_member(name: str) -> bool:
    p = PurePosixPath(name)
    return not p.is_absolute() and ".." not in p.parts


def _non_empty_tables(alias: str) -> list[str]:
    found = []
    for model in backup_models():
        if _label(model) in MIGRATE_SEEDED:
            continue
        if model._base_manager.using(alias).exists():
            found.append(f"{model._meta.verbose_name}（{_label(model)}）")
    return found


def restore_backup(archive: str | Path, alias: str = DEFAULT_DB_ALIAS) -> RestoreResult:
    """Restore ``archive`` into an empty database and data directory; all rows or none."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"备份文件不存在：{archive}")
    with _open_archive(archive) as tar, tempfile.TemporaryDirectory(prefix="cityrenew-restore-") as tmp:
        manifest = read_manifest(tar)
        staged = _extract_verified(tar, manifest, Path(tmp))

        call_command("migrate", database=alias, interactive=False, verbosity=0)
        ours, theirs = set(_applied_migrations(alias)), set(manifest["migrations"])
        if ours != theirs:
            missing, extra = sorted(theirs - ours), sorted(ours - theirs)
            raise BackupError(
                "备份与本程序的数据库结构版本不一致，无法恢复："
                + (f"备份有而本程序没有的迁移 {'、'.join(missing[:5])}；" if missing else "")
                + (f"本程序有而备份没有的迁移 {'、'.join(extra[:5])}；" if extra else "")
                + f"请使用生成该备份的 CityRenew 版本（{manifest['versions'].get('cityrenew') or '未知'}）恢复后再升级"
            )
        busy = _non_empty_tables(alias)
        if busy:
            raise BackupError("只能恢复到空数据库，目标数据库已有数据：" + "、".join(busy[:8])
                              + ("等" if len(busy) > 8 else "") + "。请新建一个空数据库（或删除 SQLite 文件）后再恢复")
        data_dir = Path(settings.DATA_DIR)
        clashes = [rel for rel in staged if (data_dir / rel).exists() and _sha256(data_dir / rel) != manifest["members"][f"files/{rel}"]["sha256"]]
        if clashes:
            raise BackupError(f"数据目录 {data_dir} 中已有不同内容的同名文件（如 {clashes[0]}），恢复不会覆盖它们；请使用空的数据目录")

        _load_rows(manifest, Path(tmp), alias)
        for rel, src in staged.items():
            dest = data_dir / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(src, dest)
    return RestoreResult(dict(manifest["rows"]), len(staged), manifest)


def _open_archive(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, "r:gz")
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"无法读取备份文件 {archive.name}：{exc}") from None


def _extract_verified(tar: tarfile.TarFile, manifest: dict[str, Any], tmp: Path) -> dict[str, Path]:
    """Extract db/ and files/ members to ``tmp``, checking each size and checksum; files by path."""
    expected = manifest["members"]
    seen = set()
    staged: dict[str, Path] = {}
    try:
        _extract_members(tar, expected, tmp, seen, staged)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise BackupError(f"备份文件已损坏，无法读取：{exc}") from None
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"备份文件不完整：缺少 {missing[0]} 等 {len(missing)} 项")
    return staged


def _extract_members(tar: tarfile.TarFile, expected: dict[str, Any], tmp: Path, seen: set[str],
                     staged: dict[str, Path]) -> None:
    for member in tar:
        if member.name == MANIFEST:
            continue
        if member.name not in expected or not member.isfile() or not _safe_member(member.name):
            raise BackupError(f"备份文件中有清单（manifest.json）未列出的内容：{member.name}")
        target = tmp / member.name
        target.parent.mkdir(parents=True, exist_ok=True)
        h = hashlib.sha256()
        src = tar.extractfile(member)
        with open(target, "wb") as fh:
            for block in iter(functools.partial(src.read, 1 << 20), b""):  # type: ignore[union-attr]
                h.update(block)
                fh.write(block)
        if h.hexdigest() != expected[member.name]["sha256"] or target.stat().st_size != expected[member.name]["size"]:
            raise BackupError(f"备份文件已损坏：{member.name} 的校验和与清单不符")
        seen.add(member.name)
        if member.name.startswith("files/"):
            staged[member.name.removeprefix("files/")] = target


def _load_rows(manifest: dict[str, Any], db_dir: Path, alias: str) -> None:
    connection = connections[alias]
    by_label = {_label(m): m for m in backup_models()}
    unknown = sorted(set(manifest["rows"]) - set(by_label))
    if unknown:
        raise BackupError(f"备份中的数据表在本程序中不存在：{'、'.join(unknown)}")
    from django.contrib.contenttypes.models import ContentType

    with transaction.atomic(using=alias):
        # migrate's own rows give way to the backup's, whose keys the audit log refers to
        for label in MIGRATE_SEEDED:
            by_label[label]._base_manager.using(alias).all().delete()
        loaded = []
        for label, count in manifest["rows"].items():
            path = db_dir / "db" / f"{label}.jsonl"
            model = by_label[label]
            with open(path, encoding="utf-8") as fh:
                try:
                    batch: list[models.Model] = []
                    for obj in serializers.deserialize("jsonl", fh, using=alias):
                        if type(obj.object) is not model:
                            raise BackupError(f"{label} 的数据中混有其他表的行（{_label(type(obj.object))}）")
                        batch.append(obj.object)
                        if len(batch) >= INSERT_BATCH:
                            _insert_raw(model, batch, alias)
                            batch = []
                    _insert_raw(model, batch, alias)
                except serializers.base.DeserializationError as exc:
                    raise BackupError(f"无法载入 {label} 的数据：{exc}") from None
            actual = by_label[label]._base_manager.using(alias).count()
            if actual != count:
                raise BackupError(f"{label} 载入 {actual} 行，清单记录 {count} 行；已撤销恢复")
            loaded.append(by_label[label])
        try:
            connection.check_constraints()
        except IntegrityError as exc:
            raise BackupError(f"备份数据的关联不完整，已撤销恢复：{exc}") from None
        sql = connection.ops.sequence_reset_sql(no_style(), loaded)
        if sql:
            with connection.cursor() as cursor:
                for statement in sql:
                    cursor.execute(statement)
    ContentType.objects.clear_cache()


def _insert_raw(model: type[models.Model], objs: list[models.Model], alias: str) -> None:
    """INSERT the rows exactly as stored: what ``save_base(raw=True)`` does for one row (values as they
    are, no ``pre_save`` such as ``auto_now``, no ``AuditedModel.save``, no signals), a batch at a time."""
    if not objs:
        return
    fields = model._meta.local_concrete_fields
    size = connections[alias].ops.bulk_batch_size(fields, objs) or len(objs)
    for start in range(0, len(objs), size):
        model._base_manager._insert(objs[start:start + size], fields=fields, using=alias, raw=True)


def table_counts(alias: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Rows per model, as the manifest records them."""
    return {_label(m): m._base_manager.using(alias).count() for m in backup_models()}

"""The MQTT broker's logins and topic rights (MQTT 设备认证与主题授权), with mosquitto's own mechanisms.

Each device logs in with its code as user name and its key as password, and may publish only to the
Observations topics of its own datastreams (``v1.1/Datastreams(<id>)/Observations``); nobody logs in
anonymously. mosquitto reads two files in :func:`directory` (``CITYRENEW_MQTT_DIR``, default
``<data dir>/mosquitto``), rewritten whole (a temporary file renamed over the old one) by :func:`sync`:

- ``passwd`` (``password_file``): ``user:$7$101$<salt>$<hash>`` lines, PBKDF2-SHA512 with 101 iterations
  and a 12-byte salt as ``mosquitto_passwd`` 2.0 writes them. Only the key's SHA-256 is kept for the
  HTTP path, so the entry is computed when the key is issued (:func:`password_entry`) and kept in
  ``Device.mqtt_hash`` (never audited, never shown); a revoked device has no line.
- ``acl`` (``acl_file``): a ``user`` block per device with a ``topic write`` line per datastream, and
  the blocks of the platform's service users: the bridge reads ``v1.1/#``; the demo's simulator writes
  the simulated datastreams' topics.

The service users (``services.json``, written by :func:`configure` when ``cityrenew serve`` starts its
broker, with passwords generated at that start) mark the directory as managed: only then does a change
of a device, its key or its datastreams (signals, :func:`connect_signals`) rewrite the files and make the
broker reload them (SIGHUP to the pid in ``mosquitto.pid``). A reload drops the logins the new files no
longer allow. Topics carry ``CITYRENEW_MQTT_PREFIX`` when one is set.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import logging
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

log = logging.getLogger("cityrenew.lifeline.broker")

# mosquitto_passwd 2.0 (src/password_mosq.h: PW_DEFAULT_ITERATIONS, SALT_LEN) — the broker reads the
# iteration count from each entry, so these only need to be what mosquitto accepts
ITERATIONS = 101
SALT_BYTES = 12
BRIDGE_USER = "cityrenew-bridge"
SIMULATOR_USER = "cityrenew-simulator"
# a user name mosquitto's files can hold: no ':' (password_file separator), no control characters, no
# blanks at either end (both files trim them)
_USABLE = re.compile(r"^[^\s:\x00-\x1f\x7f](?:[^:\x00-\x1f\x7f]*[^\s:\x00-\x1f\x7f])?$")


@dataclass(frozen=True)
class ServiceUser:  # 平台服务账号（桥接、模拟设备）
    name: str
    password: str
    topics: tuple[str, ...] = ()  # ACL lines without the keyword, e.g. "read v1.1/#" (the prefix is added)
    simulated: bool = False  # may publish to the demo's simulated datastreams


def password_entry(password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """mosquitto's ``$7$`` entry for ``password`` (PBKDF2-HMAC-SHA512, 64 bytes, base64)."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations, 64)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def usable_name(name: str) -> bool:
    return bool(_USABLE.match(name))


def directory() -> Path:
    return Path(getattr(settings, "CITYRENEW_MQTT_DIR", "") or Path(settings.DATA_DIR) / "mosquitto")


def prefix() -> str:
    return getattr(settings, "CITYRENEW_MQTT_PREFIX", "")


def managed(where: Path | None = None) -> bool:
    """Whether this installation runs the broker whose files live in ``where`` (serve wrote its service users)."""
    return ((where or directory()) / "services.json").exists()


def _write(path: Path, text: str) -> None:
    """Replace ``path`` whole: mosquitto never reads half a file (owner-only, as it asks of password files)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _services(where: Path) -> dict[str, dict]:
    try:
        return json.loads((where / "services.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def files(where: Path | None = None) -> tuple[str, str]:
    """The text of the password file and of the ACL file for the devices in the database now."""
    from .models import Datastream, Device
    from .simulate import simulated_streams

    where = where or directory()
    top = prefix()
    services = _services(where)
    passwd = [f"{name}:{s['entry']}" for name, s in services.items()]
    acl = ["# CityRenew 自动生成（cityrenew/lifeline/broker.py），设备、密钥或数据流变化时整体重写，请勿手工修改", ""]
    for name, s in services.items():
        acl.append(f"user {name}")
        for line in s.get("topics", []):
            access, topic = line.split(" ", 1)
            acl.append(f"topic {access} {top}{topic}")
        if s.get("simulated"):
            acl += [f"topic write {top}v1.1/Datastreams({ds.pk})/Observations" for ds in simulated_streams()
                    if not ds.device.key_revoked]
        acl.append("")
    devices = Device.objects.filter(key_revoked=False).exclude(mqtt_hash="").exclude(key_hash="").order_by("code")
    streams: dict[int, list[int]] = {}
    for ds_id, device_id in Datastream.objects.filter(device__in=devices).order_by("pk").values_list("pk", "device_id"):
        streams.setdefault(device_id, []).append(ds_id)
    for device_id, code, entry in devices.values_list("pk", "code", "mqtt_hash"):
        if code in services or not usable_name(code):
            log.warning("设备编码“%s”不能用作 MQTT 用户名（含冒号、控制字符或首尾空白，或与服务账号重名），该设备不能经 MQTT 报送", code)
            continue
        passwd.append(f"{code}:{entry}")
        acl.append(f"user {code}")
        acl += [f"topic write {top}v1.1/Datastreams({ds_id})/Observations" for ds_id in streams.get(device_id, [])]
        acl.append("")
    return "\n".join(passwd) + "\n", "\n".join(acl)


def write_files(where: Path | None = None) -> None:
    """Read the database and replace both files, one process at a time (an flock): a writer that read the
    database before another's commit cannot replace the files after that one."""
    where = where or directory()
    with open(where / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        passwd, acl = files(where)
        _write(where / "passwd", passwd)
        _write(where / "acl", acl)


def broker_pid(where: Path | None = None) -> int | None:
    """The pid of the running broker of ``where`` (its pid file, checked against /proc: never signal a stranger)."""
    try:
        pid = int(((where or directory()) / "mosquitto.pid").read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, ValueError, OSError):
        return None
    return pid if b"mosquitto" in cmdline else None


def reload(where: Path | None = None) -> bool:
    """Make the running broker re-read its files (SIGHUP); False when none runs."""
    pid = broker_pid(where)
    if pid is None:
        return False
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        return False
    return True


def sync(where: Path | None = None) -> bool:
    """Rewrite the files and reload the broker, when this installation manages one; True if it did."""
    where = where or directory()
    if not managed(where):
        return False
    write_files(where)
    reload(where)
    return True


_changes = threading.local()  # per thread (a thread's transactions follow one another): changes seen, synced


def _sync_on_commit() -> None:
    if getattr(_changes, "synced", 0) < _changes.seen:  # the first callback of a commit writes; the rest see it done
        _changes.synced = _changes.seen
        sync()


def _changed(sender, **kwargs) -> None:
    """A device, its key or a datastream changed: rewrite the files once the transaction commits (once per
    commit, however many rows changed; nothing when it rolls back)."""
    if not managed():
        return
    _changes.seen = getattr(_changes, "seen", 0) + 1
    transaction.on_commit(_sync_on_commit)


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    from .models import Datastream, Device

    for model in (Device, Datastream):
        post_save.connect(_changed, sender=model, dispatch_uid=f"lifeline-broker-{model.__name__}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"lifeline-broker-{model.__name__}-delete")


def configure(port: int, services: list[ServiceUser], *, where: Path | None = None, log_file: Path | None = None) -> Path:
    """Write the broker's configuration (loopback listener on ``port``, no anonymous login, the password,
    ACL and pid files), the service users and the device files; returns the configuration's path."""
    where = where or directory()
    where.mkdir(parents=True, exist_ok=True)
    os.chmod(where, 0o700)
    _write(where / "services.json", json.dumps(
        {s.name: {"entry": password_entry(s.password), "topics": list(s.topics), "simulated": s.simulated} for s in services},
        ensure_ascii=False, indent=1))
    write_files(where)
    conf = [
        f"listener {port} 127.0.0.1",
        "allow_anonymous false",
        f"password_file {where / 'passwd'}",
        f"acl_file {where / 'acl'}",
        f"pid_file {where / 'mosquitto.pid'}",
        "persistence false",
        # run as whoever starts it (as root mosquitto would switch to the user "mosquitto", who cannot read the files)
        f"user {pwd.getpwuid(os.getuid()).pw_name}",
    ]
    if log_file:
        conf += [f"log_dest file {log_file}", "log_type error", "log_type warning", "log_type notice",
                 "log_type information", "connection_messages true"]
    (where / "mosquitto.conf").write_text("\n".join(conf) + "\n", encoding="utf-8")
    return where / "mosquitto.conf"


def executable() -> str:
    return shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else "")


def start(port: int, services: list[ServiceUser], *, where: Path | None = None, log_file: Path | None = None,
          **popen) -> subprocess.Popen:
    """Configure and start mosquitto on 127.0.0.1:``port``; returns once it accepts connections."""
    conf = configure(port, services, where=where, log_file=log_file)
    proc = subprocess.Popen([executable(), "-c", str(conf)], **popen)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"MQTT 服务器 mosquitto 未能在 127.0.0.1:{port} 启动（配置 {conf}）")

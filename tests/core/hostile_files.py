"""Hostile uploads for the limit tests and ``bench/uploads_bench.py``: a zip-bomb xlsx and a CSV of a
million rows, written to disk in about a second.

The bomb is a real xlsx (openpyxl's own parts) whose ``xl/worksheets/sheet1.xml`` is a valid
worksheet padded with gigabytes of spaces. Compressing gigabytes takes a minute, so the deflate
stream is built from one compressed megabyte repeated: after a full flush a deflate block needs no
earlier history, so the same block can follow itself any number of times. The CRC is real, so the
file unpacks correctly with any unzip tool (``unzip -t`` passes).
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"
HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>\xe9\xa1\xb9\xe7\x9b\xae\xe7\xbc\x96\xe5\x8f\xb7</t></is></c></row>')
TAIL = b"</sheetData></worksheet>"
MB = 1 << 20


def _raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def _write_zip(fh, members: list[tuple[str, bytes, int, int]]) -> None:
    """members: (name, raw deflate stream, crc32, unpacked size); sizes below 4 GiB (no zip64)."""
    central, offset = [], 0
    for name, raw, crc, size in members:
        n = name.encode()
        local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(raw), size, len(n), 0) + n
        fh.write(local)
        fh.write(raw)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(raw), size,
                                   len(n), 0, 0, 0, 0, 0, offset) + n)
        offset += len(local) + len(raw)
    cd = b"".join(central)
    fh.write(cd)
    fh.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(cd), offset, 0))


def zip_bomb_xlsx(path: Path, unpacked_mib: int = 3 * 1024) -> Path:
    """An xlsx of a few MB whose first worksheet unpacks to ``unpacked_mib`` MiB (default 3 GiB)."""
    buf = io.BytesIO()
    wb = Workbook()
    wb.active.title = "项目"
    wb.save(buf)
    import zipfile

    parts = []
    with zipfile.ZipFile(buf) as zf:
        for info in zf.infolist():
            if info.filename != SHEET:
                data = zf.read(info)
                parts.append((info.filename, _raw_deflate(data), zlib.crc32(data), len(data)))
    pad = b" " * MB
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(pad) + c.flush(zlib.Z_FULL_FLUSH)  # independent of anything before it
    n = unpacked_mib - 1
    crc = zlib.crc32(HEAD)
    for _ in range(n):
        crc = zlib.crc32(pad, crc)
    crc = zlib.crc32(TAIL, crc)
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = head.compress(HEAD) + head.flush(zlib.Z_FULL_FLUSH)
    raw = start + block * n + _raw_deflate(TAIL)
    parts.append((SHEET, raw, crc, len(HEAD) + n * MB + len(TAIL)))
    with open(path, "wb") as fh:
        _write_zip(fh, parts)
    return path


def million_row_csv(path: Path, rows: int = 1_000_000) -> Path:
    """The project import's required columns, ``rows`` data rows of about 40 bytes (40 MB for a
    million: under the 50 MB size limit, so the row limit is what refuses it), written in chunks."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("项目编号,项目名称,项目总投资（亿元）,区域\n")
        for start in range(0, rows, 100_000):
            fh.write("".join(f"K2026{i % 1000000:06d},项目{i},1.5,中原区\n"
                             for i in range(start + 1, min(rows, start + 100_000) + 1)))
    return path


# The real entry point (the one `cityrenew projects import` and the import page call), in a fresh
# interpreter so its peak memory (VmHWM) is this import's and nothing else's. With "-" as the file it
# only reports the interpreter's memory after django.setup(), the baseline.
PROBE = """
import json, resource, sys, time
import django


def peak_mb():
    # VmHWM: this program's own peak RSS. ru_maxrss is not: Linux carries the forking parent's
    # high-water mark across exec, so a child of a 400 MB pytest would report 400 MB.
    try:
        with open("/proc/self/status") as fh:
            return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) / 1024
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


django.setup()
base = peak_mb()
if sys.argv[1] == "-":
    print(json.dumps({"ok": True, "seconds": 0.0, "maxrss_mb": base, "base_mb": base, "errors": []}))
    raise SystemExit
from cityrenew.projects.importer import import_projects
t0 = time.perf_counter()
report = import_projects(sys.argv[1])
dt = time.perf_counter() - t0
print(json.dumps({"ok": report.ok, "errors": [str(e) for e in report.errors], "seconds": dt,
                  "maxrss_mb": peak_mb(), "base_mb": base}, ensure_ascii=False))
"""


def run_probe(path: str, env: dict, cwd: Path) -> dict:
    """Run :data:`PROBE` on ``path`` in a fresh interpreter with ``env``; its JSON result."""
    out = subprocess.run([sys.executable, "-c", PROBE, str(path)], env=env, cwd=cwd, capture_output=True,
                         text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])

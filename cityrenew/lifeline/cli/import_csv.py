"""``cityrenew lifeline import FILE [--max-age-days N]`` — history readings from a CSV file, all or nothing.

Columns (Chinese headers; the English SensorThings names are accepted too): ``数据流编号`` (the
datastream id, ``@iot.id``) — or ``设备编码`` with ``数据流`` (the datastream's name on that device) —
``观测时间`` (ISO 8601; a time without a zone is read as 北京时间, UTC+8), ``读数``, and optionally
``单位`` (checked against the datastream's unit). UTF-8 (with or without BOM) or GB18030/GBK. The
readings are checked as every channel's are (:func:`cityrenew.lifeline.storage.ingest`); history older
than the usual limit needs ``--max-age-days``. One problem refuses the file; nothing is stored. After an
import the aggregates' watermarks go back to its oldest reading (the next rollup re-aggregates from there).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.management.base import CommandError

NAME = "import"
HELP = "导入历史读数（CSV：数据流编号或设备编码+数据流、观测时间、读数、单位），整批校验，有误则不入库"
BEIJING = ZoneInfo("Asia/Shanghai")
ALIASES = {
    "数据流编号": "datastream", "datastream": "datastream", "@iot.id": "datastream", "datastream_id": "datastream",
    "设备编码": "device", "device": "device", "thing": "device",
    "数据流": "name", "数据流名称": "name", "name": "name",
    "观测时间": "time", "时间": "time", "phenomenontime": "time", "phenomenon_time": "time",
    "读数": "value", "result": "value", "值": "value",
    "单位": "unit", "unit": "unit",
}


def add_arguments(parser) -> None:
    parser.add_argument("file", help="CSV 文件")
    parser.add_argument("--max-age-days", type=int, default=0, help="可接收的最早读数距今天数（默认同接口：400 天）")


def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise CommandError("文件编码无法识别：请保存为 UTF-8 或 GBK（GB18030）编码的 CSV", returncode=2)


def _time(text: str) -> dt.datetime | None:
    try:
        t = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("/", "-"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=BEIJING)


def read(path: Path):
    """The file's readings, or a CommandError listing every row's problem (第 N 行「字段」：原因)."""
    import csv

    from cityrenew.lifeline.models import Datastream
    from cityrenew.lifeline.storage import Reading

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"无法读取文件 {path}：{exc.strerror}", returncode=2) from None
    rows = list(csv.reader(io.StringIO(_decode(data))))
    if not rows:
        raise CommandError("文件为空", returncode=2)
    header = [ALIASES.get(h.strip().lower().lstrip("\ufeff"), ALIASES.get(h.strip())) for h in rows[0]]
    have = set(header) - {None}
    if not ({"time", "value"} <= have and ("datastream" in have or {"device", "name"} <= have)):
        raise CommandError("表头应包含：数据流编号（或 设备编码、数据流）、观测时间、读数；可选 单位", returncode=2)
    by_name = {}
    if "datastream" not in have:
        by_name = {(d, n): i for i, d, n in Datastream.objects.values_list("id", "device__code", "name")}
    readings, problems = [], []
    for no, raw in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in raw):
            continue
        rec = {k: (raw[i].strip() if i < len(raw) else "") for i, k in enumerate(header) if k}
        if "datastream" in rec:
            ds = int(rec["datastream"]) if rec["datastream"].isdigit() else None
            if ds is None:
                problems.append(f"第 {no} 行「数据流编号」：“{rec['datastream']}”不是数据流编号")
                continue
        else:
            ds = by_name.get((rec["device"], rec["name"]))
            if ds is None:
                problems.append(f"第 {no} 行「数据流」：设备 {rec['device']} 没有名为“{rec['name']}”的数据流")
                continue
        t = _time(rec["time"])
        if t is None:
            problems.append(f"第 {no} 行「观测时间」：“{rec['time']}”不是日期时间（如 2026-07-01 08:00:00）")
            continue
        readings.append((no, Reading(ds, t, rec["value"], unit=rec.get("unit") or None)))
    if problems:
        raise CommandError("；".join(problems[:20]) + (f"；另有 {len(problems) - 20} 行有问题" if len(problems) > 20 else "")
                           + "。文件未导入。", returncode=1)
    return readings


def run(command, opts) -> None:
    from cityrenew.core import audit
    from cityrenew.core.choices import AuditSource
    from cityrenew.lifeline.storage import IngestError, ingest

    numbered = read(Path(opts["file"]))
    if not numbered:
        raise CommandError("文件中没有读数", returncode=1)
    max_age = dt.timedelta(days=opts["max_age_days"]) if opts["max_age_days"] > 0 else None
    try:
        with audit.actor(None, AuditSource.CLI):
            result = ingest([r for _, r in numbered], source="csv", max_age=max_age, note=Path(opts["file"]).name)
    except IngestError as exc:  # the batch's positions are the file's data rows: name the file's row numbers
        lines = [f"第 {numbered[p.index - 1][0]} 行「{p.field}」：{p.reason}" if p.index else f"「{p.field}」：{p.reason}"
                 for p in exc.problems[:20]]
        raise CommandError("；".join(lines) + "。文件未导入（整批未保存）。", returncode=1) from None
    from cityrenew.lifeline.rollup import reopen

    reopen(min(r.phenomenon_time for _, r in numbered))  # history older than the aggregates: rolled up again
    command.stdout.write(f"已导入 {result.count} 条读数（{result.datastreams} 个数据流），报警变化 {len(result.events)} 项")

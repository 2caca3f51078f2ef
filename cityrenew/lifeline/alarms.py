"""Alarms from readings (报警): rule verdicts applied to the alarm records, acknowledgement, escalation,
disposal (派单 → 处置 → 复核 → 关闭).

:func:`process` runs inside the ingestion's transaction: for each datastream of the batch it takes the
enabled rules that apply (same observed property, the rule's sector if it names one, the same unit — a
rule in another unit does not apply and :func:`rules_for` says so), feeds the readings in time order
to :mod:`cityrenew.lifeline.rules` with the state stored in ``RuleState`` (readings older than the last
one a rule has seen are stored but not re-evaluated), and applies each event: ``raise`` creates the one
active alarm of (rule, datastream) — a database constraint makes a second impossible — ``change`` and
``update`` update it (a level change audited; a repeat only moves the value and time), ``clear`` marks it 已恢复 (it stays open until its disposal is closed). Every alarm
change is audited (the alarm is an AuditedModel). The clock is a parameter everywhere (``now``), so
escalation and no-data rules are tested at their boundaries.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from . import rules as engine
from .choices import AlarmStatus, DisposalStep
from .models import Alarm, AlarmRule, AlarmStep, RuleState


class AlarmError(ValueError):
    """A refused alarm action (message in Chinese); nothing changed."""


@dataclass(frozen=True)
class Change:  # 一次报警变化
    kind: str  # raise / change / update / clear
    alarm_id: int
    rule: str
    datastream_id: int
    level: str
    value: float | None


_PARSED: dict[str, engine.Rule] = {}


def parsed(rule: AlarmRule) -> engine.Rule:
    """The rule's definition parsed once per distinct content (not per id: ids may be reused)."""
    key = json.dumps([rule.code, rule.name, rule.unit_symbol, rule.definition], sort_keys=True, ensure_ascii=False)
    if key not in _PARSED:
        data = dict(rule.definition or {})
        data.setdefault("id", rule.code)
        data.setdefault("name", rule.name)
        data.setdefault("unit", rule.unit_symbol)
        _PARSED[key] = engine.parse_rule(data)
    return _PARSED[key]


def rules_for(streams: dict[int, Any]) -> dict[int, list[AlarmRule]]:
    """The enabled rules that apply to each datastream (observed property, sector, unit); ``streams``
    holds :class:`~cityrenew.lifeline.storage.Stream` records."""
    props = {ds.observed_property_id for ds in streams.values()}
    found: dict[int, list[AlarmRule]] = defaultdict(list)
    rules = list(AlarmRule.objects.filter(enabled=True, observed_property_id__in=props))
    for ds in streams.values():
        for rule in rules:
            if rule.observed_property_id != ds.observed_property_id or rule.unit_symbol != ds.unit_symbol:
                continue
            if rule.sector and rule.sector != ds.sector:
                continue
            found[ds.id].append(rule)
    return found


def _level_rank(rule: engine.Rule, name: str) -> int:
    return next((lv.rank for lv in rule.levels if lv.name == name), 99)


def _apply(rule_row: AlarmRule, rule: engine.Rule, ds: Any, event: engine.Event,
           active: dict[tuple[int, int], Alarm]) -> Change:
    key = (rule_row.pk, ds.id)
    alarm = active.get(key)
    reason = "；".join(event.reasons)[:500]
    if event.kind == "raise" or alarm is None and event.kind in ("change", "update"):
        alarm = Alarm.objects.create(
            rule=rule_row, datastream_id=ds.id, device_id=ds.device_id, level=event.level,
            level_rank=_level_rank(rule, event.level), value=event.value, reason=reason,
            since=event.since or event.at, last_at=event.at,
        )
        active[key] = alarm
        return Change("raise", alarm.pk, rule_row.code, ds.id, event.level, event.value)
    if alarm is None:  # a clear with no open alarm (state restored after a manual close): nothing to do
        return Change("clear", 0, rule_row.code, ds.id, "", event.value)
    if event.kind == "clear":
        alarm.status, alarm.cleared_at, alarm.value, alarm.last_at = AlarmStatus.CLEARED, event.at, event.value, event.at
        alarm.save()
        active.pop(key, None)
        return Change("clear", alarm.pk, rule_row.code, ds.id, "", event.value)
    if event.kind == "update":
        # a repeat of the same level: the reading, not an edit — the value and time move without an audit row
        Alarm.objects.filter(pk=alarm.pk).update(value=event.value, last_at=event.at)
        alarm.value, alarm.last_at, alarm.row_version = event.value, event.at, alarm.row_version + 1
        return Change("update", alarm.pk, rule_row.code, ds.id, event.level, event.value)
    alarm.level, alarm.level_rank = event.level, _level_rank(rule, event.level)
    alarm.value, alarm.last_at = event.value, event.at
    if reason:
        alarm.reason = reason
    alarm.save()
    return Change("change", alarm.pk, rule_row.code, ds.id, event.level, event.value)


def _states(ds_ids: list[int]) -> dict[tuple[int, int], dict]:
    """Stored rule states of these datastreams, read raw (no model instances)."""
    from .storage import fetch, id_filter

    where, params = id_filter("datastream_id", ds_ids)
    state = "state::text" if connection.vendor == "postgresql" else "state"  # the JSON text on both databases
    rows = fetch(f"SELECT rule_id, datastream_id, {state} FROM lifeline_rulestate WHERE {where}", params)
    return {(r, d): json.loads(st) for r, d, st in rows}


def _save_states(rows: list[tuple[int, int, dict]]) -> None:
    """Upsert (rule, datastream) → state: PostgreSQL one statement over arrays, SQLite one per row (executemany)."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        from .storage import pg_execute

        pg_execute(
            "INSERT INTO lifeline_rulestate (rule_id, datastream_id, state, updated_at) "
            "SELECT r, d, s::jsonb, now() FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS u(r, d, s) "
            "ON CONFLICT (rule_id, datastream_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            [[r for r, _, _ in rows], [d for _, d, _ in rows], [json.dumps(st, separators=(",", ":")) for _, _, st in rows]])
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = ("INSERT INTO lifeline_rulestate (rule_id, datastream_id, state, updated_at) VALUES (%s, %s, %s, %s) "
           "ON CONFLICT (rule_id, datastream_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at")
    with connection.cursor() as cur:
        # the text Django's JSONField writes (default separators), so a backup restores byte for byte
        cur.executemany(sql, [(r, d, json.dumps(st), now) for r, d, st in rows])


def _active(ds_ids: list[int]) -> dict[tuple[int, int], Alarm]:
    """The active alarms of these datastreams (ids from one array query, then the rows)."""
    from .storage import fetch, id_filter

    where, params = id_filter("datastream_id", ds_ids)
    ids = [r[0] for r in fetch(f"SELECT id FROM lifeline_alarm WHERE status = 'active' AND {where}", params)]
    return {(a.rule_id, a.datastream_id): a for a in Alarm.objects.filter(pk__in=ids)} if ids else {}


def process(per_stream: dict[int, list[tuple[dt.datetime, float]]], streams: dict[int, Any], *,
            now: dt.datetime | None = None) -> list[Change]:
    """Apply the rules to a batch's readings (call inside the batch's transaction); ``streams``:
    :class:`~cityrenew.lifeline.storage.Stream` records of the batch's datastreams."""
    applicable = rules_for({i: streams[i] for i in per_stream})
    if not applicable:
        return []
    states = _states(list(applicable))
    active = _active(list(applicable))
    engines = {r.pk: parsed(r) for rs in applicable.values() for r in rs}
    changes: list[Change] = []
    save: list[tuple[int, int, dict]] = []
    for ds_id, rule_rows in applicable.items():
        readings = per_stream[ds_id]
        if len(readings) > 1:
            readings = sorted(readings, key=lambda tv: tv[0])
        for rule_row in rule_rows:
            rule = engines[rule_row.pk]
            state = engine.StreamState.from_dict(states.get((rule_row.pk, ds_id)))
            for t, v in readings:
                if state.last_time is not None and t.timestamp() < state.last_time:
                    continue  # a late reading: stored, not re-evaluated
                event = engine.evaluate(rule, state, t, v)
                if event is not None:
                    changes.append(_apply(rule_row, rule, streams[ds_id], event, active))
            save.append((rule_row.pk, ds_id, state.to_dict()))
    _save_states(save)
    return changes


def tick(now: dt.datetime | None = None) -> list[Change]:
    """The clock without readings: no-data conditions (and durations) of every stream with such a rule."""
    now = now or timezone.now()
    changes: list[Change] = []
    with transaction.atomic():
        from .storage import streams_of

        rows = list(RuleState.objects.select_related("rule").filter(rule__enabled=True))
        active = {(a.rule_id, a.datastream_id): a for a in Alarm.objects.filter(status=AlarmStatus.ACTIVE)}
        streams = streams_of({row.datastream_id for row in rows})
        save = []
        for row in rows:
            rule = parsed(row.rule)
            state = engine.StreamState.from_dict(row.state)
            event = engine.tick(rule, state, now)
            if event is None:
                continue
            changes.append(_apply(row.rule, rule, streams[row.datastream_id], event, active))
            save.append((row.rule_id, row.datastream_id, state.to_dict()))
        _save_states(save)
    return changes


def acknowledge(alarm: Alarm, user: Any, *, now: dt.datetime | None = None) -> Alarm:
    """A named user acknowledges an alarm (确认); a second acknowledgement is refused."""
    if not getattr(user, "is_authenticated", False):
        raise AlarmError("确认报警须由登录的具名用户进行")
    if alarm.acknowledged_by_id:
        raise AlarmError(f"该报警已由 {alarm.acknowledged_by.get_full_name() or alarm.acknowledged_by} 确认")
    if alarm.status == AlarmStatus.CLOSED:
        raise AlarmError("该报警已关闭，无需确认")
    alarm.acknowledged_by, alarm.acknowledged_at = user, now or timezone.now()
    alarm.save()
    return alarm


def escalate_due(now: dt.datetime | None = None) -> list[Alarm]:
    """Escalate (升级) every open alarm not acknowledged within its rule's limit: once when the limit since
    the alarm began is reached (届满 N 分钟, N included), again each further N minutes."""
    now = now or timezone.now()
    done = []
    qs = Alarm.objects.select_related("rule").filter(
        status=AlarmStatus.ACTIVE, acknowledged_by__isnull=True, rule__escalate_after_min__isnull=False
    )
    for alarm in qs:
        limit = dt.timedelta(minutes=alarm.rule.escalate_after_min)
        due = alarm.since + limit * (alarm.escalations + 1)
        if now >= due:
            alarm.escalations += 1
            alarm.escalated_at = now
            alarm.save()
            done.append(alarm)
    return done


ORDER = [DisposalStep.DISPATCH, DisposalStep.HANDLE, DisposalStep.VERIFY, DisposalStep.CLOSE]


def add_step(alarm: Alarm, step: str, user: Any, *, note: str = "", assignee: str = "", photo: Any = None,
             passed: bool = True) -> AlarmStep:
    """Record a disposal step. The order is 派单 → 处置 → 复核 → 关闭; a 复核 that does not pass
    (``passed=False``) sends the alarm back to 处置; 关闭 needs the reading back to normal (已恢复)."""
    if not getattr(user, "is_authenticated", False):
        raise AlarmError("处置记录须由登录的具名用户填写")
    if step not in ORDER:
        raise AlarmError(f"未知的处置步骤“{step}”")
    if alarm.status == AlarmStatus.CLOSED:
        raise AlarmError("该报警已关闭")
    done = [s.step for s in alarm.steps.order_by("at", "id")]
    last = done[-1] if done else None
    expected = {None: DisposalStep.DISPATCH, DisposalStep.DISPATCH: DisposalStep.HANDLE,
                DisposalStep.HANDLE: DisposalStep.VERIFY, DisposalStep.VERIFY: DisposalStep.CLOSE}[last]
    if last == DisposalStep.VERIFY and done and alarm.steps.order_by("-at", "-id").first().note.startswith("【复核未通过】"):
        expected = DisposalStep.HANDLE
    if step != expected:
        raise AlarmError(f"当前应进行“{DisposalStep(expected).label}”，不能直接“{DisposalStep(step).label}”")
    if step == DisposalStep.CLOSE and alarm.status == AlarmStatus.ACTIVE:
        raise AlarmError("读数尚未恢复正常，报警不能关闭")
    if step == DisposalStep.DISPATCH and not assignee.strip():
        raise AlarmError("派单须填写处置单位或人员")
    if step == DisposalStep.VERIFY and not passed:
        note = f"【复核未通过】{note}"
    with transaction.atomic():
        record = AlarmStep(alarm=alarm, step=step, user=user, note=note, assignee=assignee)
        if photo is not None:
            record.photo = photo
        record.save()
        if step == DisposalStep.CLOSE:
            alarm.status = AlarmStatus.CLOSED
            alarm.save()
    return record

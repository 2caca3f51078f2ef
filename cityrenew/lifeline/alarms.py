"""Alarms from readings (报警): rule verdicts applied to the alarm records, acknowledgement, escalation,
disposal (派单 → 处置 → 复核 → 关闭).

:func:`process` runs inside the ingestion's transaction: for each datastream of the batch it takes the
enabled rules that apply (same observed property, the rule's sector if it names one, the same unit — a
rule in another unit does not apply and :func:`rules_for` says so) and feeds the readings in time order
to :mod:`cityrenew.lifeline.rules`. A rule's state on a stream is its ``RuleState`` row plus the last
reading, which the datastream's latest reading holds; only states that hold more than that (a duration
running, an active level, a rate window) are stored, so a stream at rest writes no state (readings older
than the last one are stored but not re-evaluated). Each event is applied: ``raise`` creates the one
active alarm of (rule, datastream) — a database constraint makes a second impossible — ``change`` and
``update`` update it (a level change audited; a repeat only moves the value and time), ``clear`` marks it
已恢复 (it stays open until its disposal is closed). The alarm writes of a batch and their audit rows are
stored together at its end, a few statements whatever the count (:class:`_Writes`). Every alarm change is
audited (the alarm is an AuditedModel). The clock is a parameter everywhere (``now``), so escalation and
no-data rules are tested at their boundaries.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from cityrenew.core.choices import AuditAction
from cityrenew.core.models import AuditLog

from . import rules as engine
from .choices import AlarmStatus, DisposalStep
from .models import Alarm, AlarmRule, AlarmStep


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
    rules = list(AlarmRule.objects.filter(enabled=True, observed_property_id__in=props))
    by_kind: dict[tuple[int, str, str], list[AlarmRule]] = {}  # the rules of each (property, unit, sector), once
    found: dict[int, list[AlarmRule]] = {}
    for ds in streams.values():
        kind = (ds.observed_property_id, ds.unit_symbol, ds.sector)
        if kind not in by_kind:
            by_kind[kind] = [r for r in rules if r.observed_property_id == kind[0] and r.unit_symbol == kind[1]
                             and (not r.sector or r.sector == kind[2])]
        if by_kind[kind]:
            found[ds.id] = by_kind[kind]
    return found


def _level_rank(rule: engine.Rule, name: str) -> int:
    return next((lv.rank for lv in rule.levels if lv.name == name), 99)


class _Writes:
    """The alarm writes of one batch (or clock tick), kept in memory while the rules run and stored at the
    end in a few statements (:meth:`flush`): new alarms in one insert, changed ones in one update per set of
    changed fields, their audit rows in one insert. The rows and the log are what one ``save()`` per event would have written:
    a raise logs 新增 with the alarm's fields, a level change or a clear logs 修改 with the fields it
    changed (old → new), a repeat of the same level only moves the value and time (no log row)."""

    def __init__(self) -> None:
        self.new: list[Alarm] = []
        self.dirty: dict[int, Alarm] = {}  # existing alarms changed, by pk
        self.bumps: dict[int, int] = {}  # versions each existing alarm moves on by
        self.fields: dict[int, set[str]] = {}  # the fields each existing alarm changed (only those are written)
        self.log: list[tuple[Alarm, str, dict[str, Any], str, int]] = []  # alarm, action, changes, repr, version
        self.events: list[tuple[str, Alarm | None, str, int, str, float | None]] = []

    def touch(self, alarm: Alarm, fields: dict[str, Any], *, audited: bool, repr_: str) -> None:
        diff = {f: [getattr(alarm, f), v] for f, v in fields.items() if getattr(alarm, f) != v}
        for f, v in fields.items():
            setattr(alarm, f, v)
        if alarm.pk is not None:
            self.dirty[alarm.pk] = alarm
            self.fields.setdefault(alarm.pk, set()).update(fields)
            self.bumps[alarm.pk] = self.bumps.get(alarm.pk, 0) + 1
        elif audited and diff:
            alarm.row_version += 1
        if audited and diff:
            version = alarm.row_version + self.bumps.get(alarm.pk, 0) if alarm.pk is not None else alarm.row_version
            self.log.append((alarm, AuditAction.UPDATE, diff, repr_, version))

    def flush(self) -> list[Change]:
        if self.new:
            Alarm.objects.bulk_create(self.new)
        groups: dict[tuple[str, ...], list[Alarm]] = {}
        for pk, alarm in self.dirty.items():  # one update per set of changed fields: a repeat writes value and time only
            groups.setdefault(tuple(sorted(self.fields[pk])), []).append(alarm)
        for fields, alarms in groups.items():
            loaded = {a.pk: a.row_version for a in alarms}
            for a in alarms:  # each changed row moves on by one version per save it stands for
                a.row_version = F("row_version") + self.bumps[a.pk]
            Alarm.objects.bulk_update(alarms, [*fields, "row_version"])
            for a in alarms:
                a.row_version = loaded[a.pk] + self.bumps[a.pk]
        if self.log:
            AuditLog.objects.bulk_create([
                AuditLog.entry(a, action, changes, object_repr=r, object_version=v) for a, action, changes, r, v in self.log])
        return [Change(kind, a.pk if a is not None else 0, code, ds, level, value)
                for kind, a, code, ds, level, value in self.events]


def _apply(rule_row: AlarmRule, rule: engine.Rule, ds: Any, event: engine.Event,
           active: dict[tuple[int, int], Alarm], writes: _Writes) -> None:
    key = (rule_row.pk, ds.id)
    alarm = active.get(key)
    reason = "；".join(event.reasons)[:500]
    repr_ = f"{ds.device_code} {rule_row.name} {event.level or (alarm.level if alarm else '')}"
    if event.kind == "raise" or alarm is None and event.kind in ("change", "update"):
        alarm = Alarm(
            rule=rule_row, datastream_id=ds.id, device_id=ds.device_id, level=event.level,
            level_rank=_level_rank(rule, event.level), value=event.value, reason=reason,
            since=event.since or event.at, last_at=event.at,
        )
        snap = {k: [None, v] for k, v in alarm.audit_snapshot().items() if v not in (None, "")}
        writes.new.append(alarm)
        writes.log.append((alarm, AuditAction.CREATE, snap, repr_, alarm.row_version))
        active[key] = alarm
        writes.events.append(("raise", alarm, rule_row.code, ds.id, event.level, event.value))
        return
    if alarm is None:  # a clear with no open alarm (state restored after a manual close): nothing to do
        writes.events.append(("clear", None, rule_row.code, ds.id, "", event.value))
        return
    if event.kind == "clear":
        writes.touch(alarm, {"status": AlarmStatus.CLEARED, "cleared_at": event.at, "value": event.value,
                             "last_at": event.at}, audited=True, repr_=repr_)
        active.pop(key, None)
        writes.events.append(("clear", alarm, rule_row.code, ds.id, "", event.value))
        return
    if event.kind == "update":
        # a repeat of the same level: the reading, not an edit — the value and time move without an audit row
        writes.touch(alarm, {"value": event.value, "last_at": event.at}, audited=False, repr_=repr_)
        writes.events.append(("update", alarm, rule_row.code, ds.id, event.level, event.value))
        return
    fields = {"level": event.level, "level_rank": _level_rank(rule, event.level), "value": event.value, "last_at": event.at}
    if reason:
        fields["reason"] = reason
    writes.touch(alarm, fields, audited=True, repr_=repr_)
    writes.events.append(("change", alarm, rule_row.code, ds.id, event.level, event.value))


def _trivial(state: engine.StreamState) -> bool:
    """A state that holds nothing but the last reading — which the datastream's latest reading holds: such
    a state is not stored (a stream at rest writes no state row), and a stored row that becomes trivial is
    deleted."""
    return not (state.pending or state.active or state.window)


def _states(pairs: list[tuple[int, int]], ds_ids: list[int]) -> tuple[dict[tuple[int, int], engine.StreamState], set]:
    """The rule states of these (rule, datastream) pairs: the stored row where there is one, the last
    reading from the datastreams' latest readings (read before the batch updates them) for every pair;
    and the pairs that have a stored row."""
    from .storage import fetch, id_filter

    where, params = id_filter("datastream_id", ds_ids)
    state = "state::text" if connection.vendor == "postgresql" else "state"  # the JSON text on both databases
    stored = {(r, d): json.loads(st) for r, d, st in
              fetch(f"SELECT rule_id, datastream_id, {state} FROM lifeline_rulestate WHERE {where}", params)}
    if connection.vendor == "postgresql":  # seconds since the epoch, exact to the microsecond as t.timestamp() is
        last = {d: (float(t), v) for d, t, v in fetch(
            f"SELECT datastream_id, extract(epoch FROM time), value FROM lifeline_latestreading WHERE {where}", params)}
    else:  # SQLite: UTC without a zone (a datetime through Django's converters, text otherwise)
        last = {d: ((dt.datetime.fromisoformat(t) if isinstance(t, str) else t).replace(tzinfo=dt.timezone.utc).timestamp(), v)
                for d, t, v in fetch(f"SELECT datastream_id, time, value FROM lifeline_latestreading WHERE {where}", params)}
    out = {}
    for rule_id, ds_id in pairs:
        st = engine.StreamState.from_dict(stored.get((rule_id, ds_id)))
        if ds_id in last:
            ts, v = last[ds_id]
            if st.last_time is None or ts >= st.last_time:
                st.last_time, st.last_value = ts, v
        out[(rule_id, ds_id)] = st
    return out, set(stored)


def _save_states(states: dict[tuple[int, int], engine.StreamState], stored: set) -> None:
    """Store the states that hold more than the last reading (upsert); delete the stored rows that no longer
    do. PostgreSQL: one statement each over arrays; SQLite: executemany."""
    save = [(r, d, st.to_dict()) for (r, d), st in states.items() if not _trivial(st)]
    drop = [(r, d) for (r, d), st in states.items() if _trivial(st) and (r, d) in stored]
    if connection.vendor == "postgresql":
        from .storage import pg_execute

        if save:
            pg_execute(
                "INSERT INTO lifeline_rulestate (rule_id, datastream_id, state, updated_at) "
                "SELECT r, d, s::jsonb, now() FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS u(r, d, s) "
                "ON CONFLICT (rule_id, datastream_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                [[r for r, _, _ in save], [d for _, d, _ in save], [json.dumps(st, separators=(",", ":")) for _, _, st in save]])
        if drop:
            pg_execute("DELETE FROM lifeline_rulestate s USING unnest(%s::bigint[], %s::bigint[]) AS u(r, d) "
                       "WHERE s.rule_id = u.r AND s.datastream_id = u.d", [[r for r, _ in drop], [d for _, d in drop]])
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cur:
        if save:
            # the text Django's JSONField writes (default separators), so a backup restores byte for byte
            cur.executemany(
                "INSERT INTO lifeline_rulestate (rule_id, datastream_id, state, updated_at) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (rule_id, datastream_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                [(r, d, json.dumps(st), now) for r, d, st in save])
        if drop:
            cur.executemany("DELETE FROM lifeline_rulestate WHERE rule_id = %s AND datastream_id = %s", drop)


def _active(ds_ids: list[int]) -> dict[tuple[int, int], Alarm]:
    """The active alarms of these datastreams (ids from one array query, then the rows)."""
    from .storage import fetch, id_filter

    where, params = id_filter("datastream_id", ds_ids)
    ids = [r[0] for r in fetch(f"SELECT id FROM lifeline_alarm WHERE status = 'active' AND {where}", params)]
    return {(a.rule_id, a.datastream_id): a for a in Alarm.objects.filter(pk__in=ids)} if ids else {}


def process(per_stream: dict[int, list[tuple[dt.datetime, float]]], streams: dict[int, Any], *,
            now: dt.datetime | None = None) -> list[Change]:
    """Apply the rules to a batch's readings (call inside the batch's transaction, before the batch's
    latest readings are stored: a state's last reading comes from them); ``streams``:
    :class:`~cityrenew.lifeline.storage.Stream` records of the batch's datastreams."""
    applicable = rules_for({i: streams[i] for i in per_stream})
    if not applicable:
        return []
    ds_ids = list(applicable)
    states, stored = _states([(r.pk, d) for d, rs in applicable.items() for r in rs], ds_ids)
    active = _active(ds_ids)
    engines = {r.pk: parsed(r) for r in {r.pk: r for rs in applicable.values() for r in rs}.values()}
    writes = _Writes()
    for ds_id, rule_rows in applicable.items():
        readings = per_stream[ds_id]
        if len(readings) > 1:
            readings = sorted(readings, key=lambda tv: tv[0])
        for rule_row in rule_rows:
            rule = engines[rule_row.pk]
            state = states[(rule_row.pk, ds_id)]
            for t, v in readings:
                if state.last_time is not None and t.timestamp() < state.last_time:
                    continue  # a late reading: stored, not re-evaluated
                event = engine.evaluate(rule, state, t, v)
                if event is not None:
                    _apply(rule_row, rule, streams[ds_id], event, active, writes)
    changes = writes.flush()
    _save_states(states, stored)
    return changes


def _nodata(rule: engine.Rule) -> bool:
    return any(c.kind == "nodata" for lv in rule.levels for c in lv.conditions)


def tick(now: dt.datetime | None = None) -> list[Change]:
    """The clock without readings: the no-data conditions of every stream a rule with one applies to (and
    has a reading: a stream that never reported has no last reading to count from)."""
    now = now or timezone.now()
    with transaction.atomic():
        from .storage import fetch, streams_of

        rules = [r for r in AlarmRule.objects.filter(enabled=True) if _nodata(parsed(r))]
        if not rules:
            return []
        ids = [row[0] for row in fetch(
            "SELECT l.datastream_id FROM lifeline_latestreading l JOIN lifeline_datastream s ON s.id = l.datastream_id "
            "WHERE s.observed_property_id IN (" + ", ".join(str(int(r.observed_property_id)) for r in rules) + ")", [])]
        streams = streams_of(ids)
        applicable = {d: [r for r in rs if r in rules] for d, rs in rules_for(streams).items()}
        applicable = {d: rs for d, rs in applicable.items() if rs}
        if not applicable:
            return []
        ds_ids = list(applicable)
        states, stored = _states([(r.pk, d) for d, rs in applicable.items() for r in rs], ds_ids)
        active = _active(ds_ids)
        engines = {r.pk: parsed(r) for r in rules}
        writes = _Writes()
        ticked = {}
        for ds_id, rule_rows in applicable.items():
            for rule_row in rule_rows:
                state = states[(rule_row.pk, ds_id)]
                event = engine.tick(engines[rule_row.pk], state, now)
                if event is not None:
                    _apply(rule_row, engines[rule_row.pk], streams[ds_id], event, active, writes)
                    ticked[(rule_row.pk, ds_id)] = state
        changes = writes.flush()
        _save_states(ticked, stored)
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

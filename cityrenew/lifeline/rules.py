"""Alarm rules as data (报警规则), evaluated reading by reading with state that survives a restart.

A :class:`Rule` has levels (一级 … 四级, or 红/橙/黄/蓝), each a set of conditions joined by ``all`` or
``any``. A condition is one of:

* ``threshold`` — the reading compared with a value by a threshold word, optionally held for a duration
  ("超过 0.5 MPa 持续 10 分钟");
* ``rate`` — the change per minute over a window, compared the same way (rise, fall or either);
* ``nodata`` — the time since the last reading, in minutes, compared the same way (checked by :func:`tick`).

Threshold words are read as Chinese law reads them (民法典第一千二百五十九条: 以上、以下、以内、届满 include
the number; 不满、超过、以外 do not): 超过 ``>``, 以上/不低于 ``>=``, 不满/低于 ``<``, 以下/不超过 ``<=``.
A duration is reached when the condition has held, reading after reading, for at least the stated time
(持续 N 分钟 — at N minutes exactly it has held N minutes). A level's condition with a duration is pending
until then.

The engine keeps one :class:`StreamState` per (rule, datastream): which levels are pending since when,
the active level, the readings the rate window needs and the last reading's time. It is a plain dict
(:meth:`StreamState.to_dict`), stored by the caller after every change, so a restart continues where it
stopped. Each reading gives at most one :class:`Event`: ``raise`` (no alarm → a level), ``change`` (the
active level moved, up or down), ``update`` (the same level, a new value: one active alarm per device and
rule, a repeat updates it) or ``clear``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cityrenew.catalogue.policies import cite

INCLUSIVE_WORDS = cite(
    "CIVIL-CODE-2020", "第一千二百五十九条", "“以上”“以下”“以内”“届满”包括本数；“不满”“超过”“以外”不包括本数",
    rule="生命线报警规则的阈值用语",
)

# word -> comparison; each reads as 民法典第一千二百五十九条 reads it
WORDS: dict[str, str] = {
    "超过": ">", "高于": ">", "大于": ">",
    "以上": ">=", "不低于": ">=", "不少于": ">=", "达到": ">=",
    "不满": "<", "低于": "<", "小于": "<", "少于": "<",
    "以下": "<=", "不超过": "<=", "不高于": "<=",
}
OPS = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}
KINDS = ("threshold", "rate", "nodata")
DIRECTIONS = ("rise", "fall", "either")


class RuleError(ValueError):
    """A rule that cannot be evaluated (message in Chinese, naming the rule and the field)."""


def _number(value: Any, where: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise RuleError(f"{where}：“{value}”不是数值") from None
    if not math.isfinite(x):
        raise RuleError(f"{where}：数值必须是有限数（不能是 {value}）")
    return x


@dataclass(frozen=True)
class Condition:  # 报警条件
    kind: str
    word: str
    value: float
    duration_min: float = 0.0  # threshold: held this long (持续 N 分钟)
    window_min: float = 0.0  # rate: the window the change is measured over
    direction: str = "either"  # rate: rise / fall / either (absolute change)

    @property
    def op(self) -> str:
        return WORDS[self.word]

    def compare_text(self, unit: str = "") -> str:
        """“超过0.4MPa” / “0.4MPa以上”: 以上、以下 follow the number, the other words precede it."""
        if self.word in ("以上", "以下"):
            return f"{self.value:g}{unit}{self.word}"
        return f"{self.word}{self.value:g}{unit}"

    def text(self, unit: str = "") -> str:
        if self.kind == "threshold":
            held = f"持续{self.duration_min:g}分钟" if self.duration_min else ""
            return f"读数{self.compare_text(unit)}{held}"
        if self.kind == "rate":
            way = {"rise": "上升", "fall": "下降", "either": "变化"}[self.direction]
            return f"{self.window_min:g}分钟内每分钟{way}{self.compare_text(unit)}"
        return f"无数据时长{self.compare_text('分钟')}"


@dataclass(frozen=True)
class Level:  # 报警等级
    name: str
    rank: int  # 1 = most severe
    conditions: tuple[Condition, ...]
    join: str = "all"  # all / any


@dataclass(frozen=True)
class Rule:  # 报警规则
    id: str
    name: str
    levels: tuple[Level, ...]  # most severe first
    unit: str = ""

    @property
    def rate_window_min(self) -> float:
        return max((c.window_min for lv in self.levels for c in lv.conditions if c.kind == "rate"), default=0.0)


def parse_rule(data: Mapping[str, Any]) -> Rule:
    """A :class:`Rule` from its data (TOML/JSON): ``{"id", "name", "unit", "levels": [{"name", "rank",
    "join", "conditions": [{"kind", "word", "value", "duration_min", "window_min", "direction"}]}]}``."""
    rid = str(data.get("id") or "").strip()
    name = str(data.get("name") or rid).strip()
    if not rid:
        raise RuleError("报警规则缺少编号（id）")
    levels_in = data.get("levels") or []
    if not levels_in:
        raise RuleError(f"报警规则“{name}”没有任何报警等级")
    levels: list[Level] = []
    for i, lv in enumerate(levels_in, 1):
        lname = str(lv.get("name") or "").strip() or f"第{i}级"
        where = f"报警规则“{name}”等级“{lname}”"
        try:
            rank = int(lv.get("rank", i))
        except (TypeError, ValueError):
            raise RuleError(f"{where}：等级序号（rank）必须是整数") from None
        join = str(lv.get("join", "all"))
        if join not in ("all", "any"):
            raise RuleError(f"{where}：条件组合（join）只能是 all（同时满足）或 any（任一满足），不能是“{join}”")
        conds: list[Condition] = []
        for j, c in enumerate(lv.get("conditions") or [], 1):
            cw = f"{where}条件{j}"
            kind = str(c.get("kind", "threshold"))
            if kind not in KINDS:
                raise RuleError(f"{cw}：类型（kind）只能是 threshold（阈值）、rate（变化率）或 nodata（无数据），不能是“{kind}”")
            word = str(c.get("word", "")).strip()
            if word not in WORDS:
                raise RuleError(f"{cw}：阈值用语“{word}”无法识别（可用：{'、'.join(WORDS)}）")
            value = _number(c.get("value"), f"{cw}阈值")
            duration = _number(c.get("duration_min", 0), f"{cw}持续时间")
            window = _number(c.get("window_min", 0), f"{cw}变化率时间窗")
            direction = str(c.get("direction", "either"))
            if duration < 0 or window < 0:
                raise RuleError(f"{cw}：持续时间和时间窗不能为负数")
            if kind == "rate" and window <= 0:
                raise RuleError(f"{cw}：变化率条件必须给出大于0的时间窗（window_min，分钟）")
            if kind == "rate" and direction not in DIRECTIONS:
                raise RuleError(f"{cw}：变化方向只能是 rise（上升）、fall（下降）或 either（任一），不能是“{direction}”")
            if kind == "nodata" and value < 0:
                raise RuleError(f"{cw}：无数据时长不能为负数")
            conds.append(Condition(kind, word, value, duration, window, direction))
        if not conds:
            raise RuleError(f"{where}：没有任何条件")
        levels.append(Level(lname, rank, tuple(conds), join))
    ranks = [lv.rank for lv in levels]
    if len(set(ranks)) != len(ranks):
        raise RuleError(f"报警规则“{name}”：等级序号重复")
    levels.sort(key=lambda lv: lv.rank)
    return Rule(rid, name, tuple(levels), str(data.get("unit", "")))


@dataclass
class StreamState:  # 规则在一个数据流上的状态（可存储，重启后继续）
    pending: dict[str, float] = field(default_factory=dict)  # "level/condition index" -> since (epoch s)
    active: str = ""  # active level name
    active_since: float | None = None
    last_time: float | None = None
    last_value: float | None = None
    window: list[tuple[float, float]] = field(default_factory=list)  # (epoch s, value) within the rate window

    def to_dict(self) -> dict[str, Any]:
        return {"pending": dict(self.pending), "active": self.active, "active_since": self.active_since,
                "last_time": self.last_time, "last_value": self.last_value, "window": [list(p) for p in self.window]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "StreamState":
        if not data:
            return cls()
        return cls(dict(data.get("pending", {})), data.get("active", ""), data.get("active_since"),
                   data.get("last_time"), data.get("last_value"), [tuple(p) for p in data.get("window", [])])


@dataclass(frozen=True)
class Event:  # 报警事件
    kind: str  # raise / change / update / clear
    level: str  # the level now active ("" after clear)
    previous: str  # the level before
    value: float | None
    at: dt.datetime
    since: dt.datetime | None  # when the active level was first reached
    reasons: tuple[str, ...] = ()


def _ts(t: dt.datetime) -> float:
    if t.tzinfo is None:
        raise RuleError("读数时间必须带时区")
    return t.timestamp()


def _dt(x: float | None) -> dt.datetime | None:
    return None if x is None else dt.datetime.fromtimestamp(x, dt.timezone.utc)


def _rate(cond: Condition, window: list[tuple[float, float]], now: float) -> float | None:
    """Change per minute over the condition's window: from the oldest reading inside it to the newest."""
    inside = [(t, v) for t, v in window if now - t <= cond.window_min * 60 + 1e-9]
    if len(inside) < 2:
        return None
    (t0, v0), (t1, v1) = inside[0], inside[-1]
    if t1 <= t0:
        return None
    per_min = (v1 - v0) / ((t1 - t0) / 60)
    if cond.direction == "rise":
        return per_min
    if cond.direction == "fall":
        return -per_min
    return abs(per_min)


def _level_holds(rule: Rule, li: int, level: Level, state: StreamState, value: float | None, now: float,
                 *, on_reading: bool) -> tuple[bool, list[str]]:
    results: list[bool] = []
    reasons: list[str] = []
    for ci, cond in enumerate(level.conditions):
        key = f"{li}/{ci}"
        if cond.kind == "nodata":
            last = state.last_time
            gap_min = None if last is None else (now - last) / 60
            ok = gap_min is not None and OPS[cond.op](gap_min, cond.value) and not on_reading
            if ok:
                reasons.append(f"已{gap_min:g}分钟无数据（规则：{cond.text(rule.unit)}）")
            results.append(ok)
            continue
        if value is None:  # a clock tick: threshold/rate conditions keep their last verdict
            ok = key in state.pending and (now - state.pending[key]) >= cond.duration_min * 60 - 1e-9 \
                if cond.kind == "threshold" else False
            results.append(ok and state.last_value is not None and OPS[cond.op](state.last_value, cond.value))
            continue
        if cond.kind == "threshold":
            hit = OPS[cond.op](value, cond.value)
            if hit:
                since = state.pending.setdefault(key, now)
                ok = (now - since) >= cond.duration_min * 60 - 1e-9
            else:
                state.pending.pop(key, None)
                ok = False
            if ok:
                reasons.append(f"读数{value:g}{rule.unit}（规则：{cond.text(rule.unit)}）")
            results.append(ok)
        else:
            r = _rate(cond, state.window, now)
            ok = r is not None and OPS[cond.op](r, cond.value)
            if ok:
                way = {"rise": "上升", "fall": "下降", "either": "变化"}[cond.direction]
                reasons.append(f"每分钟{way}{r:g}{rule.unit}（规则：{cond.text(rule.unit)}）")
            results.append(ok)
    held = all(results) if level.join == "all" else any(results)
    return held, reasons if held else []


def _decide(rule: Rule, state: StreamState, value: float | None, now: float, *, on_reading: bool) -> Event | None:
    found: tuple[Level, list[str]] | None = None
    for li, level in enumerate(rule.levels):
        held, reasons = _level_holds(rule, li, level, state, value, now, on_reading=on_reading)
        if held and found is None:
            found = (level, reasons)  # most severe first; later levels still update their pending clocks
    at = _dt(now)
    previous = state.active
    shown = value if value is not None else state.last_value
    if found is None:
        if not previous:
            return None
        state.active, state.active_since = "", None
        return Event("clear", "", previous, shown, at, None)
    level, reasons = found
    if not previous:
        state.active, state.active_since = level.name, now
        return Event("raise", level.name, "", shown, at, at, tuple(reasons))
    if previous != level.name:
        state.active, state.active_since = level.name, now
        return Event("change", level.name, previous, shown, at, at, tuple(reasons))
    return Event("update", level.name, previous, shown, at, _dt(state.active_since), tuple(reasons))


def evaluate(rule: Rule, state: StreamState, at: dt.datetime, value: Any) -> Event | None:
    """Feed one reading (time with zone, value) to ``rule``; updates ``state``; returns the event, if any.

    Readings must arrive in time order per datastream: one older than the last is refused (RuleError).
    """
    now = _ts(at)
    v = _number(value, f"报警规则“{rule.name}”的读数")
    if state.last_time is not None and now < state.last_time:
        raise RuleError(f"报警规则“{rule.name}”：读数时间 {at.isoformat()} 早于上一条读数，须按时间顺序处理")
    if rule.rate_window_min:
        state.window.append((now, v))
        keep = rule.rate_window_min * 60
        state.window = [(t, x) for t, x in state.window if now - t <= keep + 1e-9]
    event = _decide(rule, state, v, now, on_reading=True)
    state.last_time, state.last_value = now, v
    return event


def tick(rule: Rule, state: StreamState, now: dt.datetime) -> Event | None:
    """The clock moved without a reading: no-data conditions may fire (and threshold durations expire)."""
    t = _ts(now)
    if not any(c.kind == "nodata" for lv in rule.levels for c in lv.conditions) or state.last_time is None:
        return None
    return _decide(rule, state, None, t, on_reading=False)


def evaluate_many(rule: Rule, state: StreamState, readings: Iterable[tuple[dt.datetime, Any]]) -> list[Event]:
    """Feed several readings in order; the events they give."""
    return [e for at, v in readings if (e := evaluate(rule, state, at, v)) is not None]

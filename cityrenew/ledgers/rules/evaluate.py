"""Evaluate a whole ledger against the renewal rules at once (vectorised over pandas/numpy).

Every condition becomes two boolean arrays over all rows — *true* and *known* (a cell may be empty) —
and a rule combines its conditions in three-valued logic (any / all / first-and-any). Fired rules are
kept as one int64 bit mask per row; the verdict is the strongest verdict of the fired rules (equipment:
强制更新 > 鼓励更新 > 需评估 > 不需更新). A mandatory rule that cannot be decided because a cell it needs
is empty makes the row 需评估 (the reason names the missing field). A category the rules do not know is
reported (``类别未知``), never silently 不需更新. Reasons (field values against the threshold words) are
built only when asked for, per row (:meth:`Evaluation.fired`), so a million rows evaluate in seconds.

Ages are calendar ages (民法典 art. 1259 and art. 202): 满 N 年 is reached on the Nth anniversary of the
commissioning date (commissioned 2006-06-30: 满20年 on 2026-06-30, not on 2026-06-29; an anniversary on
29 February falls on 28 February in a common year); 超过 N 年 starts the day after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .columns import COLUMNS, VALUE_LABELS
from .config import RuleConfig, validate_readings
from .model import (
    ASSESS,
    CATEGORIES,
    MANDATORY,
    MAX_RULES,
    UNKNOWN_CATEGORY,
    VERDICTS,
    Condition,
    Rule,
    RuleError,
    RuleSet,
    ruleset_for,
)

HEADERS = {kind: {c.name: c.header for c in cols} for kind, cols in COLUMNS.items()}
HEADERS["equipment"]["age"] = "投用日期"


@dataclass
class Evaluation:  # 判定结果
    kind: str
    province: str
    as_of: date
    ruleset: RuleSet
    rules: tuple[Rule, ...]
    readings: dict[str, str]  # reading id → label used
    verdicts: pd.DataFrame  # index as the input; code, verdict, rules (tuple of fired rule ids)
    counts: dict[str, int]
    problems: list[str] = field(default_factory=list)
    fired_bits: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64), repr=False)
    unknown_bits: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64), repr=False)
    _frame: pd.DataFrame | None = field(default=None, repr=False)
    _ages: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _reading_defs: dict = field(default_factory=dict, repr=False)

    @property
    def version(self) -> str:
        return self.ruleset.label

    def rule(self, rule_id: str) -> Rule:
        """A rule of this evaluation by id (for its citation, conditions and title on a row's page)."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def rule_ids(self, mask: int) -> tuple[str, ...]:
        return tuple(r.id for i, r in enumerate(self.rules) if mask >> i & 1)

    def fired(self, pos: int) -> list[dict[str, Any]]:
        """The rules that fired for row ``pos`` (0-based position), each with its citation and the reason."""
        return self.fired_many([pos])[0]

    def fired_many(self, positions: list[int] | np.ndarray) -> list[list[dict[str, Any]]]:
        """:meth:`fired` for many rows at once (one pass over those rows per condition): for pages and exports.

        A rule that could not be decided for a row (an empty cell) is listed with verdict 需评估 and the
        missing fields as its reason.
        """
        pos = np.asarray(positions, dtype=np.int64)
        if not len(pos):
            return []
        sub = self._frame.iloc[pos].reset_index(drop=True)
        ages = None if self._ages is None else (self._ages[0][pos], self._ages[1][pos])
        cols = _Columns(sub, self.as_of, ages)
        masks, unknowns = self.fired_bits[pos], self.unknown_bits[pos]
        out: list[list[dict[str, Any]]] = [[] for _ in pos]
        for bit, rule in enumerate(self.rules):
            hit = np.flatnonzero((masks >> bit) & 1)
            undecided = np.flatnonzero((unknowns >> bit) & 1)
            if not len(hit) and not len(undecided):
                continue
            truth = [_condition(sub, c, self.as_of, self.readings, ages, cols=cols,
                                ruleset_readings=self._reading_defs)[0] for c in rule.conditions]
            shown = [_op(c.op, self.readings, self._reading_defs) != "any" for c in rule.conditions]
            for j in hit:
                reason = "；".join(_describe(sub, c, int(j), self.as_of, self.readings, self.kind)
                                  for c, t, show in zip(rule.conditions, truth, shown) if t[j] and show)
                out[j].append(self._entry(rule, reason))
            for j in undecided:
                missing = "、".join(dict.fromkeys(HEADERS[self.kind].get(f, f) for c in rule.conditions
                                                  for f in c.field if _cell_missing(sub, f, int(j))))
                entry = self._entry(rule, f"缺少数据（{missing}），无法判断是否属于：{rule.title}")
                entry["verdict"] = ASSESS
                out[j].append(entry)
        order = {r.id: i for i, r in enumerate(self.rules)}
        for entries in out:
            entries.sort(key=lambda e: order[e["id"]])
        return out

    def _entry(self, rule: Rule, reason: str) -> dict[str, Any]:
        return {"id": rule.id, "title": rule.title, "verdict": rule.verdict, "source": rule.source(),
                "document": rule.document, "article": rule.article, "item": rule.item, "reason": reason,
                "local": rule.local}

    def json_rows(self) -> list[dict[str, Any]]:
        """Rows as the CLI prints them: code, verdict and the fired rules (id, source), in input order."""
        cache: dict[int, list[dict[str, str]]] = {}
        for m in np.unique(self.fired_bits):
            cache[int(m)] = [{"id": r.id, "source": r.source()} for i, r in enumerate(self.rules) if int(m) >> i & 1]
        codes = self.verdicts["code"].astype(object).where(self.verdicts["code"].notna(), None).tolist()
        return [{"code": c, "verdict": v, "rules": cache[int(m)]}
                for c, v, m in zip(codes, self.verdicts["verdict"].astype(str).tolist(), self.fired_bits.tolist())]


def _cell_missing(frame: pd.DataFrame | None, name: str, pos: int) -> bool:
    col = "commissioned" if name == "age" else name
    if frame is None or col not in frame.columns:
        return True
    return bool(pd.isna(frame[col].iloc[pos]))


def _fmt(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "是" if v else "否"
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    return str(v)


def _describe(frame: pd.DataFrame, cond: Condition, pos: int, as_of: date, readings: dict[str, str], kind: str) -> str:
    headers = HEADERS[kind]
    if cond.field == ("age",):
        c = pd.Timestamp(frame["commissioned"].iloc[pos]).date()
        years = _full_years_one(c, as_of)
        return f"投用日期 {c.isoformat()}，至 {as_of.isoformat()} 已满 {years} 年（{cond.words}）"
    vals = "、".join(f"{headers.get(f, f)}：{_fmt(frame[f].iloc[pos])}" for f in cond.field)
    if cond.op in ("in", "not in", "is"):
        return vals + (f"（{cond.words}）" if cond.words else "")
    return f"{vals}（{cond.words}）"


def _full_years_one(c: date, as_of: date) -> int:
    day = min(c.day, pd.Timestamp(as_of.year, c.month, 1).days_in_month)
    return as_of.year - c.year - ((as_of.month, as_of.day) < (c.month, day))


def calendar_age(commissioned: pd.Series, as_of: date) -> tuple[np.ndarray, np.ndarray]:
    """Full years reached on ``as_of`` (float, NaN where unknown or in the future) and whether ``as_of`` is
    exactly an anniversary — vectorised, by calendar date (29 February → 28 February in a common year)."""
    s = pd.to_datetime(commissioned, errors="coerce")
    known = s.notna().to_numpy()
    y = s.dt.year.to_numpy(dtype=float, na_value=np.nan)
    m = s.dt.month.to_numpy(dtype=float, na_value=np.nan)
    d = s.dt.day.to_numpy(dtype=float, na_value=np.nan)
    leap = as_of.year % 4 == 0 and (as_of.year % 100 != 0 or as_of.year % 400 == 0)
    # the anniversary day in as_of's year: 29 Feb → 28 Feb in a common year (month end, 民法典 art. 202)
    d_adj = np.where((m == 2) & (d == 29) & (not leap), 28.0, d)
    before = (as_of.month < m) | ((as_of.month == m) & (as_of.day < d_adj))
    years = as_of.year - y - before.astype(float)
    future = known & (years < 0)
    years[~known | future] = np.nan
    anniversary = (as_of.month == m) & (as_of.day == d_adj)
    return years, anniversary


class _Columns:  # per-evaluation cache of column arrays
    def __init__(self, frame: pd.DataFrame, as_of: date, ages: tuple[np.ndarray, np.ndarray] | None):
        self.frame, self.as_of, self.ages = frame, as_of, ages
        self.n = len(frame)
        self._cache: dict[str, Any] = {}

    def bool(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        key = "b:" + name
        if key not in self._cache:
            if name not in self.frame.columns:
                self._cache[key] = (np.zeros(self.n, bool), np.zeros(self.n, bool))
            else:
                s = self.frame[name]
                known = s.notna().to_numpy()
                val = s.fillna(False).astype(bool).to_numpy() & known
                self._cache[key] = (val, known)
        return self._cache[key]

    def number(self, name: str) -> np.ndarray:
        key = "n:" + name
        if key not in self._cache:
            if name not in self.frame.columns:
                arr = np.full(self.n, np.nan)
            elif name == "efficiency_grade":  # 1级 / 2级 / 3 → the grade number
                arr = pd.to_numeric(self.frame[name].astype("string").str.extract(r"(\d+)", expand=False),
                                    errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            else:
                arr = pd.to_numeric(self.frame[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            self._cache[key] = arr
        return self._cache[key]

    def codes(self, name: str) -> tuple[np.ndarray, pd.Index]:
        key = "c:" + name
        if key not in self._cache:
            if name not in self.frame.columns:
                self._cache[key] = (np.full(self.n, -1), pd.Index([]))
            else:
                cat = pd.Categorical(self.frame[name].astype(object).where(self.frame[name].notna(), None))
                self._cache[key] = (np.asarray(cat.codes), cat.categories)
        return self._cache[key]

    def isin(self, name: str, values: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        codes, cats = self.codes(name)
        labels = VALUE_LABELS.get(name, {})
        idx = [i for i, c in enumerate(cats) if str(c).strip() in values or labels.get(str(c).strip()) in values]
        return np.isin(codes, idx), codes >= 0


def _op(op: str, readings: dict[str, str], ruleset_readings: dict) -> str:
    if op.startswith("@"):
        reading = ruleset_readings[op[1:]]
        return reading.choices[readings.get(reading.id, reading.default)]
    return op


def _condition(frame, cond: Condition, as_of, readings, ages, *, cols: _Columns | None = None,
               ruleset_readings: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(true, known) arrays of one condition over all rows of ``frame``."""
    if cols is None:
        cols = _Columns(frame, as_of, ages)
    op = _op(cond.op, readings, ruleset_readings or {})
    if op == "any":  # a scope reading that does not limit the rule
        return np.ones(cols.n, bool), np.ones(cols.n, bool)
    if any(("commissioned" if f == "age" else f) not in cols.frame.columns for f in cond.field):
        # the ledger does not record the column at all: the condition is not met (reported once by evaluate)
        return np.zeros(cols.n, bool), np.ones(cols.n, bool)
    if cond.field == ("age",):
        years, anniv = cols.ages if cols.ages is not None else (np.full(cols.n, np.nan), np.zeros(cols.n, bool))
        known = ~np.isnan(years)
        n = float(cond.value)
        with np.errstate(invalid="ignore"):
            over = (years > n) | ((years == n) & ~anniv)  # 超过 N 年: past the Nth anniversary
            true = {">=": years >= n, ">": over, "<": years < n, "<=": ~over}[op] & known
        return true, known
    if op in (">=", ">", "<=", "<"):
        v = cols.number(cond.field[0])
        known = ~np.isnan(v)
        with np.errstate(invalid="ignore"):
            true = {">=": v >= cond.value, ">": v > cond.value, "<=": v <= cond.value, "<": v < cond.value}[op]
        return true & known, known
    if op in ("in", "not in"):
        hit, known = cols.isin(cond.field[0], cond.value)
        return (hit if op == "in" else ~hit) & known, known
    # "is": every field equals value (three-valued AND)
    true = np.ones(cols.n, bool)
    false = np.zeros(cols.n, bool)
    for f in cond.field:
        val, known = cols.bool(f)
        t = known & (val == cond.value)
        true &= t
        false |= known & ~t
    return true, true | false


def _combine(match: str, parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    def any_(ps):
        t = np.logical_or.reduce([p[0] for p in ps])
        f = np.logical_and.reduce([p[1] & ~p[0] for p in ps])
        return t, t | f

    def all_(ps):
        t = np.logical_and.reduce([p[0] for p in ps])
        f = np.logical_or.reduce([p[1] & ~p[0] for p in ps])
        return t, t | f

    if match == "any":
        return any_(parts)
    if match == "all":
        return all_(parts)
    rest = any_(parts[1:]) if len(parts) > 1 else parts[0]
    return all_([parts[0], rest])


def evaluate(frame: pd.DataFrame, kind: str, province: str | None = None, as_of: date | None = None,
             config: RuleConfig | None = None) -> Evaluation:
    """Verdicts for every row of a ledger (canonical columns, :mod:`.columns`) as of ``as_of``.

    ``province`` defaults to the city's (``config.province``); a province without a catalogue for
    ``kind`` raises :class:`RuleError` with a Chinese message.
    """
    config = config or RuleConfig()
    province = province or config.province
    as_of = as_of or date.today()
    ruleset = ruleset_for(kind, province)
    validate_readings(config.readings, ruleset.province, "城市规则配置", config.extra_readings)
    rules = ruleset.rules + config.rules_for(kind)
    if len(rules) > MAX_RULES:
        raise RuleError(f"规则过多：{len(rules)} 条（一次判定最多 {MAX_RULES} 条）")
    readings = {rid: config.readings.get(rid, r.default)
                for rid, r in {**config.extra_readings, **ruleset.readings}.items()}
    readings.update({k: v for k, v in config.readings.items() if k not in readings})
    index = frame.index  # verdicts keep it; the work (and fired(pos)) is by position
    frame = frame.reset_index(drop=True)
    n = len(frame)
    if "code" not in frame.columns:
        raise RuleError("台账缺少“编号”（code）列")
    ages = calendar_age(frame["commissioned"], as_of) if "commissioned" in frame.columns else None
    cols = _Columns(frame, as_of, ages)
    rr = {**config.extra_readings, **ruleset.readings}
    problems: list[str] = []

    verdict_names = VERDICTS[kind]
    rank = {v: i for i, v in enumerate(verdict_names)}
    level = np.full(n, len(verdict_names) - 1, dtype=np.int8)
    fired_bits = np.zeros(n, dtype=np.int64)
    unknown_bits = np.zeros(n, dtype=np.int64)

    unknown_cat = np.zeros(n, bool)
    if kind == "equipment":
        known_cats = set(CATEGORIES) | {c for r in rules for c in r.categories}
        codes, cats = cols.codes("category")
        bad = [i for i, c in enumerate(cats) if str(c).strip() not in known_cats]
        unknown_cat = np.isin(codes, bad) | (codes < 0)
        if unknown_cat.any():
            labels = pd.Series(frame["category"].to_numpy()[unknown_cat]).fillna("（空）").value_counts()
            for label, cnt in labels.items():
                ex = frame["code"].to_numpy()[unknown_cat & (frame["category"].fillna("（空）").to_numpy() == label)][:3]
                problems.append(f"设备类别“{label}”不在规则目录的类别中（{cnt} 行，如编号 {'、'.join(map(str, ex))}）："
                                f"未作判定，请改为规范类别（{'、'.join(CATEGORIES)}）")
        if ages is not None:
            c = pd.to_datetime(frame["commissioned"], errors="coerce")
            future = (c > pd.Timestamp(as_of)).to_numpy()
            if future.any():
                ex = frame["code"].to_numpy()[future][:3]
                problems.append(f"{int(future.sum())} 行的投用日期晚于评估日期 {as_of.isoformat()}（如编号 "
                                f"{'、'.join(map(str, ex))}）：按年限的条件无法判断")

    absent: dict[str, list[str]] = {}
    undecided_rules: list[tuple[int, Rule, np.ndarray]] = []
    covered: set[str] = set()
    for bit, rule in enumerate(rules):
        scope = cols.isin("category", rule.categories)[0] if rule.categories else np.ones(n, bool)
        covered.update(rule.categories)
        if not scope.any():
            continue
        for c in rule.conditions:
            if _op(c.op, readings, rr) == "any":
                continue
            for f in c.field:
                if ("commissioned" if f == "age" else f) not in frame.columns:
                    absent.setdefault(HEADERS[kind].get(f, f), []).append(rule.id)
        parts = [_condition(frame, c, as_of, readings, ages, cols=cols, ruleset_readings=rr) for c in rule.conditions]
        match = _op(rule.match, readings, rr) if rule.match.startswith("@") else rule.match
        true, known = _combine(match, parts)
        hit = scope & true & ~unknown_cat
        fired_bits |= hit.astype(np.int64) << bit
        np.minimum(level, np.where(hit, rank[rule.verdict], len(verdict_names) - 1).astype(np.int8), out=level)
        if kind == "equipment" and rule.verdict == MANDATORY:
            undecided = scope & ~known & ~unknown_cat
            unknown_bits |= undecided.astype(np.int64) << bit
            np.minimum(level, np.where(undecided, rank[ASSESS], len(verdict_names) - 1).astype(np.int8), out=level)
        elif kind != "equipment":  # buildings, communities, housing: no 需评估 verdict; listed and reported
            undecided_rules.append((bit, rule, scope & ~known))

    for bit, rule, undecided in undecided_rules:
        # only where no rule of the same or a stronger verdict fired: the row's verdict might be wrong
        undecided &= level > rank[rule.verdict]
        if undecided.any():
            unknown_bits |= undecided.astype(np.int64) << bit
            ex = frame["code"].to_numpy()[undecided][:3]
            problems.append(f"{int(undecided.sum())} 行因缺少数据无法判断是否属于“{rule.title}”（规则 {rule.id}，如编号 "
                            f"{'、'.join(map(str, ex))}）：结论暂按其余规则，请补齐数据")
    for header, ids in absent.items():
        problems.append(f"台账没有「{header}」列：规则 {'、'.join(dict.fromkeys(ids))} 中的该项条件一律按不满足处理"
                        "（该列有值而个别单元格为空时，强制更新规则无法判断的行判为需评估）")
    if kind == "equipment":
        codes, cats = cols.codes("category")
        for i, c in enumerate(cats):
            c = str(c).strip()
            if c in CATEGORIES and c not in covered:
                cnt = int((codes == i).sum())
                problems.append(f"{ruleset.label}对“{c}”未设更新条件（{cnt} 行）：这些行判为不需更新，"
                                "仅表示本目录无要求；如有其他依据，请以本地规则补充")
    labels = np.array(verdict_names + (UNKNOWN_CATEGORY,), dtype=object)
    level = np.where(unknown_cat, len(verdict_names), level)
    verdict = pd.Categorical.from_codes(level, categories=list(labels))
    ids_of = {int(m): tuple(r.id for i, r in enumerate(rules) if int(m) >> i & 1) for m in np.unique(fired_bits)}
    verdicts = pd.DataFrame({
        "code": frame["code"].to_numpy(),
        "verdict": verdict,
        "rules": pd.Series(fired_bits).map(ids_of).to_numpy(),
    }, index=index)
    vc = pd.Series(verdict).value_counts()
    counts = {v: int(vc.get(v, 0)) for v in labels if vc.get(v, 0)}  # in order of precedence
    return Evaluation(kind, province, as_of, ruleset, rules,
                      readings, verdicts, counts, problems, fired_bits, unknown_bits, frame, ages, rr)

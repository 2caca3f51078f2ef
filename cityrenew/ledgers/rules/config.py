"""A city's rule configuration (城市规则配置): its province, the readings it switched, its local rules.

Loaded from a city rule file (TOML)::

    city = "郑州市"
    province = "河南省"

    [readings]                      # switch a reading a rule file defines: reading id = choice label
    "HA-CM-age" = "含本数"

    [[rule]]                        # a local rule, with its own citation
    kind = "equipment"
    id = "ZZ-GAS-01"
    title = "运行满25年的钢质燃气管道"
    category = ["燃气管道"]
    verdict = "强制更新"
    source = "《郑州市城镇燃气管道老化更新改造实施方案》第五条"
    when = [{ field = "age", op = ">=", value = 25, words = "运行满25年" }]

Every problem is reported in Chinese naming the file and the entry.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .model import (
    KINDS,
    Rule,
    RuleError,
    check_rule_id,
    packaged_rulesets,
    parse_reading,
    parse_rule,
)


@dataclass(frozen=True)
class RuleConfig:  # 城市规则配置
    province: str = ""
    readings: dict[str, str] = field(default_factory=dict)  # reading id → chosen label
    local_rules: dict[str, tuple[Rule, ...]] = field(default_factory=dict)  # kind → local rules
    city: str = ""
    extra_readings: dict = field(default_factory=dict)  # readings the city's own rules define

    def rules_for(self, kind: str) -> tuple[Rule, ...]:
        return self.local_rules.get(kind, ())


def validate_readings(readings: dict[str, str], province: str, where: str, extra: dict | None = None) -> None:
    """Each overridden reading exists in the province's (or national) rule files and names one of its choices."""
    known = dict(extra or {})
    for rs in packaged_rulesets():
        if rs.province in (province, "全国") or not province:
            known.update(rs.readings)
    for rid, label in readings.items():
        reading = known.get(rid)
        if reading is None:
            raise RuleError(f"{where}：解读“{rid}”不存在于{province or ''}的规则目录中（可改：{'、'.join(sorted(known)) or '无'}）")
        if label not in reading.choices:
            raise RuleError(f"{where}：解读“{rid}”（{reading.question}）没有选项“{label}”（可选：{'、'.join(reading.choices)}）")


def parse_config(data: dict, where: str = "城市规则文件") -> RuleConfig:
    province = str(data.get("province", "")).strip()
    extra = {rid: parse_reading(rid, r, where) for rid, r in data.get("reading", {}).items()}
    readings = data.get("readings", {})
    if not isinstance(readings, dict):
        raise RuleError(f"{where}：[readings] 应为“解读编号 = 选项”的表")
    readings = {str(k): str(v) for k, v in readings.items()}
    validate_readings(readings, province, where, extra)
    local: dict[str, list[Rule]] = {}
    ids: set[str] = {r.id for rs in packaged_rulesets() for r in rs.rules}
    for i, r in enumerate(data.get("rule", []), 1):
        kind = r.get("kind", "")
        if kind not in KINDS:
            raise RuleError(f"{where} 第 {i} 条本地规则：台账类型“{kind}”无效（可选：{'、'.join(KINDS)}）")
        rid = str(r.get("id", ""))
        check_rule_id(rid, f"{where} 第 {i} 条本地规则")
        if rid in ids:
            raise RuleError(f"{where} 第 {i} 条本地规则：编号“{rid}”与已有规则重复")
        ids.add(rid)
        local.setdefault(kind, []).append(parse_rule(r, kind, extra, f"{where} 第 {i} 条本地规则", local=True))
    return RuleConfig(province, readings, {k: tuple(v) for k, v in local.items()}, str(data.get("city", "")), extra)


def load_config(path: str | Path) -> RuleConfig:
    p = Path(path)
    if not p.is_file():
        raise RuleError(f"城市规则文件不存在：{p}")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RuleError(f"城市规则文件 {p.name} 格式错误：{exc}") from exc
    return parse_config(data, f"城市规则文件 {p.name}")

"""Renewal rules (更新规则) as data per province, and their vectorised evaluation.

    from cityrenew.ledgers.rules import evaluate
    result = evaluate(frame, "equipment", "广东省", date(2026, 6, 30))
    result.verdicts          # code, verdict, rules (fired rule ids) per row, indexed like ``frame``
    result.fired(0)          # the first row's fired rules with citation and reason
    result.counts            # {verdict: n}

Rule files: ``data/*.toml`` (:mod:`.model`); a city's choices: :mod:`.config`; the evaluator:
:mod:`.evaluate`; ledger columns and Chinese headers: :mod:`.columns`. Design notes: docs/ledgers-rules.md.
"""

from .columns import COLUMNS, LedgerFileError, read_table, to_canonical
from .config import RuleConfig, load_config, parse_config
from .evaluate import Evaluation, calendar_age, evaluate
from .model import (
    CATEGORIES,
    KINDS,
    VERDICTS,
    Rule,
    RuleError,
    RuleSet,
    available_provinces,
    bound_of_words,
    packaged_rulesets,
    ruleset_for,
)

__all__ = [
    "CATEGORIES", "COLUMNS", "KINDS", "VERDICTS", "Evaluation", "LedgerFileError", "Rule", "RuleConfig", "RuleError",
    "RuleSet", "available_provinces", "bound_of_words", "calendar_age", "evaluate", "load_config", "packaged_rulesets",
    "parse_config", "read_table", "ruleset_for", "to_canonical",
]

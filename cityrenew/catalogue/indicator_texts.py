"""Official Chinese texts of the 60 basic check-up indicators (指标解释、体检方法、参考标准).

``data/checkup_indicators_zh.csv`` holds, for each indicator of the MOHURD 2025 basic set, the
paragraphs 【指标解释】【体检方法】【参考标准】 of 住房和城乡建设部《城市体检工作手册（试行）》(2025年5月),
五、基础指标说明, transcribed verbatim (the ``manual_ref`` column gives the section and source lines;
obvious OCR slips are corrected and listed there). 32 indicators have no 【参考标准】 paragraph in the
manual; their ``standard_zh`` is empty. The English ``standard_or_threshold`` of
``checkup_indicators.csv`` stays the input of the numeric-threshold parser; pages and department
templates show these Chinese texts.

Pure Python (csv + dataclasses): importable by migrations, the web app and the tests alike.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TEXTS_CSV = Path(__file__).resolve().parent / "data" / "checkup_indicators_zh.csv"
MANUAL_2025 = "《城市体检工作手册（试行）》（2025年5月）"


@dataclass(frozen=True)
class IndicatorText:  # 指标说明（手册原文）
    number: int  # MOHURD 2025 basic set numbering
    name: str
    definition: str  # 【指标解释】
    method: str  # 【体检方法】
    standard: str  # 【参考标准】, "" where the manual gives none
    manual_ref: str

    @property
    def source(self) -> str:
        return f"{MANUAL_2025} 五、基础指标说明 指标{self.number}"


@lru_cache(maxsize=4)
def read_texts(path: Path | str = TEXTS_CSV) -> dict[int, IndicatorText]:
    """The texts keyed by 2025 indicator number."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out: dict[int, IndicatorText] = {}
    for r in rows:
        if r["version"] != "2025":
            continue
        n = int(r["number"])
        out[n] = IndicatorText(n, r["name"].strip(), r["definition_zh"].strip(), r["method_zh"].strip(),
                               r["standard_zh"].strip(), r["manual_ref"].strip())
    return out


def text_fields(text: IndicatorText | None) -> dict[str, str]:
    """The model field values of an indicator for ``text`` (all empty when there is none)."""
    if text is None:
        return {"definition_zh": "", "method_zh": "", "standard_zh": "", "texts_source": ""}
    return {"definition_zh": text.definition, "method_zh": text.method, "standard_zh": text.standard,
            "texts_source": text.source}

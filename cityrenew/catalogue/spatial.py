"""Spatial rules (空间指标规则): service radii and the 15-minute life circle, with their policy sources.

The table lives in ``spatial_rules.csv`` next to this module. Every row names the check-up indicator
it serves (number in the MOHURD 2025 basic set, ``data/checkup_indicators.csv``), the facility
categories (keys of :data:`cityrenew.engine.facilities.CATEGORIES`), the radius in metres measured
along the walking network, and the document and article the radius comes from: ``source`` in words,
``document`` + ``article`` as a citation that resolves to an article of the policy library. A row with an
indicator number and empty ``document``/``article`` cites that indicator of its manual (``指标N`` of
MOHURD-CHECKUP-2025 / -2024); ``python -m cityrenew.catalogue.spatial fill-citations`` writes those
defaults into the file. The spatial engine reads radii only from here.

Pure Python (csv + dataclasses): importable by the engine, the web app and the tests alike.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from cityrenew.catalogue.policies import INDICATOR_DOCUMENTS, Citation

SPATIAL_RULES_CSV = Path(__file__).resolve().parent / "spatial_rules.csv"
INDICATORS_CSV = Path(__file__).resolve().parent / "data" / "checkup_indicators.csv"

KIND_RADIUS = "radius"  # 服务半径覆盖: a unit is covered if a facility is within radius_m
KIND_LIFE_CIRCLE = "life_circle"  # 生活圈完整度: how many of the categories are within radius_m
KIND_DENSITY = "density"  # 密度类指标 (城市道路网密度): a threshold, no radius
KIND_DRIVE_TIME = "drive_time"  # 行车时间覆盖 (消防站): time_min minus turnout_min of driving
KIND_RADIUS_JOBS = "radius_jobs"  # 就业端服务半径覆盖 (指标43): evaluated on the jobs layer
KINDS = (KIND_RADIUS, KIND_LIFE_CIRCLE, KIND_DENSITY, KIND_DRIVE_TIME, KIND_RADIUS_JOBS)
DRIVE_SPEEDS_CSV = Path(__file__).resolve().parent / "drive_speeds.csv"


@dataclass(frozen=True)
class SpatialRule:  # 空间指标规则
    code: str
    indicator_number: int | None  # MOHURD 2025 basic set numbering; None for composite rules
    indicator_version: str
    kind: str  # KIND_RADIUS or KIND_LIFE_CIRCLE
    name: str  # Chinese name shown to users
    categories: tuple[str, ...]  # facility category keys
    radius_m: float | None  # metres along the walking network (None for density rules)
    source: str  # policy document and article/table
    note: str = ""
    threshold: float | None = None  # target value, in threshold_unit
    threshold_unit: str = ""
    # per-category radius (metres), same order as ``categories``; written ``key@metres`` in the CSV
    # (足球场地: 3人制 300 m, 5人制 500 m, 7/11人制 1000 m). Equal to ``radius_m`` when not given.
    category_radii: tuple[float, ...] = ()
    time_min: float | None = None  # drive_time: arrival time after the dispatch order (minutes)
    turnout_min: float = 0.0  # drive_time: part of time_min spent before the vehicle leaves
    document: str = ""  # policy document key the radius rests on (catalogue.policies.DOCUMENTS)
    article: str = ""  # its canonical article ref, e.g. 指标13

    @property
    def drive_budget_s(self) -> float | None:
        """Seconds of driving a drive_time rule allows (``time_min`` − ``turnout_min``)."""
        return None if self.time_min is None else 60.0 * (self.time_min - self.turnout_min)

    def radius_for(self, category: str) -> float:
        """Radius in metres for one of the rule's categories."""
        if self.category_radii:
            return self.category_radii[self.categories.index(category)]
        return float(self.radius_m or 0.0)

    @property
    def citation(self) -> Citation:  # 政策依据 as a resolvable citation
        return Citation(self.document, self.article, self.source, rule=f"空间规则 {self.code} {self.name}",
                        origin=f"spatial_rules.csv {self.code}")


def default_citation(indicator_number: str, version: str) -> tuple[str, str]:
    """The document and article a row cites when its columns are empty: 指标N of the manual of its version."""
    doc = INDICATOR_DOCUMENTS.get(version, "")
    return (doc, f"指标{indicator_number}") if doc and indicator_number else ("", "")


class SpatialRuleError(ValueError):
    """The spatial rule table is malformed (message in Chinese, names the row)."""


def _indicator_numbers(version: str) -> set[int]:
    with INDICATORS_CSV.open(encoding="utf-8", newline="") as fh:
        return {int(r["number"]) for r in csv.DictReader(fh) if r["version"] == version}


def load_spatial_rules(path: str | Path | None = None) -> list[SpatialRule]:
    """Read and validate the spatial rule table (default: the packaged ``spatial_rules.csv``).

    Raises :class:`SpatialRuleError` naming the row when a radius is not a positive number of
    metres, a source is missing, a kind is unknown, a code repeats, or an indicator number is not
    in the MOHURD set of the stated version.
    """
    path = Path(path) if path is not None else SPATIAL_RULES_CSV
    rules: list[SpatialRule] = []
    seen: set[str] = set()
    known: dict[str, set[int]] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for lineno, row in enumerate(csv.DictReader(fh), start=2):
            where = f"{path.name} 第{lineno}行"
            code = (row.get("code") or "").strip()
            if not code:
                raise SpatialRuleError(f"{where}：缺少指标代码 code")
            if code in seen:
                raise SpatialRuleError(f"{where}：指标代码 {code} 重复")
            seen.add(code)
            kind = (row.get("kind") or "").strip()
            if kind not in KINDS:
                raise SpatialRuleError(f"{where}：kind 必须是 {'、'.join(KINDS)} 之一，实际为 {kind!r}")
            radius: float | None = None
            if kind not in (KIND_DENSITY, KIND_DRIVE_TIME):
                try:
                    radius = float(row.get("radius_m") or "")
                except ValueError:
                    raise SpatialRuleError(f"{where}：radius_m 不是数字（单位：米）") from None
                if not math.isfinite(radius):
                    raise SpatialRuleError(f"{where}：radius_m 必须是有限的米数，实际为 {row.get('radius_m')!r}")
                if not radius > 0:
                    raise SpatialRuleError(f"{where}：radius_m 必须大于0米")
            threshold: float | None = None
            if (row.get("threshold") or "").strip():
                try:
                    threshold = float(row["threshold"])
                except ValueError:
                    raise SpatialRuleError(f"{where}：threshold 不是数字") from None
            elif kind == KIND_DENSITY:
                raise SpatialRuleError(f"{where}：密度类规则 {code} 必须给出 threshold")
            source = (row.get("source") or "").strip()
            if not source:
                raise SpatialRuleError(f"{where}：{code} 缺少政策依据 source")
            items = [c.strip() for c in (row.get("categories") or "").split(";") if c.strip()]
            if not items:
                raise SpatialRuleError(f"{where}：{code} 没有设施类别 categories")
            cats = tuple(c.split("@", 1)[0].strip() for c in items)
            radii: tuple[float, ...] = ()
            if any("@" in c for c in items):
                try:
                    radii = tuple(float(c.split("@", 1)[1]) if "@" in c else float(radius or 0) for c in items)
                except ValueError:
                    raise SpatialRuleError(f"{where}：{code} 的类别半径（类别@米）不是数字") from None
                if not all(r > 0 for r in radii):
                    raise SpatialRuleError(f"{where}：{code} 的类别半径必须大于0米")
                if radius is not None and max(radii) > radius:
                    raise SpatialRuleError(f"{where}：{code} 的类别半径大于 radius_m（radius_m 应为最大半径）")
            time_min: float | None = None
            turnout = 0.0
            if kind == KIND_DRIVE_TIME:
                try:
                    time_min = float(row.get("time_min") or "")
                    turnout = float(row.get("turnout_min") or 0)
                except ValueError:
                    raise SpatialRuleError(f"{where}：行车时间规则 {code} 的 time_min/turnout_min 不是数字（单位：分钟）") from None
                if not (0 <= turnout < time_min < float("inf")):
                    raise SpatialRuleError(f"{where}：行车时间规则 {code} 须满足 0 ≤ turnout_min < time_min")
            number_s = (row.get("indicator_number") or "").strip()
            version = (row.get("indicator_version") or "").strip()
            number: int | None = None
            if number_s:
                number = int(number_s)
                if version not in known:
                    known[version] = _indicator_numbers(version)
                if number not in known[version]:
                    raise SpatialRuleError(
                        f"{where}：指标编号 {number} 不在 {version} 版城市体检基础指标中"
                    )
            elif kind != KIND_LIFE_CIRCLE:
                raise SpatialRuleError(f"{where}：服务半径规则 {code} 必须给出体检指标编号")
            document = (row.get("document") or "").strip()
            article = (row.get("article") or "").strip()
            if not document and not article:
                document, article = default_citation(number_s, version)
            citation = Citation(document, article)
            problems = citation.problems() if document else ["缺少依据文件 document 与条款 article"]
            if problems:
                raise SpatialRuleError(f"{where}：{code} 的政策依据无法对应到条款：{'；'.join(problems)}")
            rules.append(
                SpatialRule(
                    code=code,
                    indicator_number=number,
                    indicator_version=version,
                    kind=kind,
                    name=(row.get("name") or "").strip(),
                    categories=cats,
                    radius_m=radius,
                    source=source,
                    note=(row.get("note") or "").strip(),
                    threshold=threshold,
                    threshold_unit=(row.get("threshold_unit") or "").strip(),
                    category_radii=radii,
                    time_min=time_min,
                    turnout_min=turnout,
                    document=document,
                    article=article,
                )
            )
    return rules


@dataclass(frozen=True)
class DriveSpeed:  # 道路等级行车速度
    highway: str  # OSM highway value
    class_zh: str  # 城市道路等级
    speed_kmh: float
    source: str


def load_drive_speeds(path: str | Path | None = None) -> dict[str, DriveSpeed]:
    """Road-class driving speeds (km/h) by OSM ``highway`` value, from ``drive_speeds.csv``."""
    path = Path(path) if path is not None else DRIVE_SPEEDS_CSV
    out: dict[str, DriveSpeed] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for lineno, row in enumerate(csv.DictReader(fh), start=2):
            hw = (row.get("highway") or "").strip()
            try:
                v = float(row.get("speed_kmh") or "")
            except ValueError:
                raise SpatialRuleError(f"{path.name} 第{lineno}行：speed_kmh 不是数字（千米/小时）") from None
            if not hw or not 0 < v < float("inf"):
                raise SpatialRuleError(f"{path.name} 第{lineno}行：需要 highway 与大于0的 speed_kmh")
            if not (row.get("source") or "").strip():
                raise SpatialRuleError(f"{path.name} 第{lineno}行：{hw} 缺少速度依据 source")
            out[hw] = DriveSpeed(hw, (row.get("class_zh") or "").strip(), v, row["source"].strip())
    return out
def fill_citations(path: str | Path | None = None) -> int:
    """Write the default ``document``/``article`` into rows that leave them empty; returns rows filled.

    Adds the two columns at the end when the file lacks them; every other column is kept as it is.
    """
    path = Path(path) if path is not None else SPATIAL_RULES_CSV
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    fields += [f for f in ("document", "article") if f not in fields]
    filled = 0
    for row in rows:
        if not (row.get("document") or "").strip() and not (row.get("article") or "").strip():
            doc, art = default_citation((row.get("indicator_number") or "").strip(), (row.get("indicator_version") or "").strip())
            if doc:
                row["document"], row["article"] = doc, art
                filled += 1
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return filled


if __name__ == "__main__":  # python -m cityrenew.catalogue.spatial fill-citations [FILE]
    import sys

    if len(sys.argv) < 2 or sys.argv[1] != "fill-citations":
        sys.exit("usage: python -m cityrenew.catalogue.spatial fill-citations [FILE]")
    print(f"filled {fill_citations(sys.argv[2] if len(sys.argv) > 2 else None)} rows")

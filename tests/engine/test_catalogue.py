"""The spatial rule table: complete, cited, and actually what the engine uses."""

from __future__ import annotations

import csv
import json

import pytest

from cityrenew.catalogue.spatial import SPATIAL_RULES_CSV, SpatialRuleError, load_spatial_rules
from cityrenew.engine.cli import main
from cityrenew.engine.facilities import CATEGORIES


def test_every_rule_is_cited_and_uses_known_categories():
    rules = load_spatial_rules()
    codes = {r.code for r in rules}
    assert {"I13_PRIMARY_500", "I22_MIDDLE_1000", "I25_GREEN_300", "I25_PARK_500", "LC15", "I35_ROAD_DENSITY"} <= codes
    for r in rules:
        assert r.source.strip()
        if r.kind != "density":
            assert all(c in CATEGORIES for c in r.categories), r.code
    by = {r.code: r for r in rules}
    # the radii the check-up manual and GB 50180-2018 give
    assert by["I13_PRIMARY_500"].radius_m == 500 and "GB 50180-2018" in by["I13_PRIMARY_500"].source
    assert by["I22_MIDDLE_1000"].radius_m == 1000 and by["I22_MIDDLE_1000"].indicator_number == 22
    assert by["I25_GREEN_300"].radius_m == 300 and by["I25_PARK_500"].radius_m == 500
    assert by["I35_ROAD_DENSITY"].threshold == 8


def _copy_rules(tmp_path, edit):
    rows = list(csv.DictReader(SPATIAL_RULES_CSV.open(encoding="utf-8")))
    rows = edit(rows)
    p = tmp_path / "rules.csv"
    with p.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    return p


@pytest.mark.parametrize(
    "field,value,message",
    [("radius_m", "-5", "必须大于0米"), ("source", "", "缺少政策依据"), ("indicator_number", "99", "不在 2025 版"), ("kind", "buffer", "kind 必须是")],
)
def test_malformed_rules_are_rejected_naming_the_row(tmp_path, field, value, message):
    def edit(rows):
        rows[0][field] = value
        return rows

    with pytest.raises(SpatialRuleError, match=message) as e:
        load_spatial_rules(_copy_rules(tmp_path, edit))
    assert "第2行" in str(e.value)


def test_engine_reads_radius_from_the_catalogue(chengdu_pbf, tmp_path, capsys):
    def widen(rows):
        for r in rows:
            if r["code"] == "I13_PRIMARY_500":
                r["radius_m"] = "1500"
        return [r for r in rows if r["code"] in ("I13_PRIMARY_500",)]

    p = _copy_rules(tmp_path, widen)
    args = ["coverage", "--osm", str(chengdu_pbf), "--out", str(tmp_path / "o"), "--no-progress"]
    assert main(args) == 0
    default = next(i for i in json.loads(capsys.readouterr().out)["indicators"] if i["code"] == "I13_PRIMARY_500")
    assert main(args + ["--rules", str(p)]) == 0
    wide = json.loads(capsys.readouterr().out)["indicators"]
    assert [i["code"] for i in wide] == ["I13_PRIMARY_500"]
    assert wide[0]["radius_m"] == 1500
    assert wide[0]["covered"] > default["covered"]

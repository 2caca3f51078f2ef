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


def test_new_indicator_rows_are_cited_with_their_radii_and_times():
    by = {r.code: r for r in load_spatial_rules()}
    fb = by["I33_FOOTBALL"]
    assert fb.indicator_number == 33 and fb.categories == ("football_3", "football_5", "football_11")
    assert fb.category_radii == (300, 500, 1000) and fb.radius_m == 1000
    assert "指标33" in fb.source and "GB50180-2018" in fb.source
    gw = by["I32_GREENWAY_1000"]
    assert gw.indicator_number == 32 and gw.radius_m == 1000 and gw.threshold == 70 and "两侧1公里" in gw.source
    assert "name" in gw.note and "绿道" in gw.note  # the OSM tag reading is stated
    fire = by["I53_FIRE_5MIN"]
    assert fire.kind == "drive_time" and fire.indicator_number == 53 and fire.radius_m is None
    assert fire.time_min == 5 and fire.turnout_min == 1 and fire.drive_budget_s == 240 and fire.threshold == 75
    assert "建标152-2017" in fire.source and "GB 51080-2015 第4.1.3条" in fire.source
    jobs = by["I43_RAIL_800_JOBS"]
    assert jobs.kind == "radius_jobs" and jobs.radius_m == 800 and by["I43_RAIL_800"].radius_m == 800
    for code in ("I32_GREENWAY_1000", "I33_FOOTBALL", "I53_FIRE_5MIN", "I43_RAIL_800_JOBS"):
        assert all(c in CATEGORIES for c in by[code].categories)


def test_drive_speeds_are_cited():
    from cityrenew.catalogue.spatial import load_drive_speeds

    sp = load_drive_speeds()
    assert sp["primary"].speed_kmh == 40 and sp["residential"].speed_kmh == 20 and sp["trunk"].speed_kmh == 60
    assert all(v.source and v.speed_kmh > 0 for v in sp.values())
    assert "GB/T 51328-2018" in sp["secondary"].source


@pytest.mark.parametrize(
    "code,field,value,message",
    [
        ("I33_FOOTBALL", "categories", "football_3@abc;football_5@500", "类别半径"),
        ("I33_FOOTBALL", "categories", "football_3@300;football_11@1200", "大于 radius_m"),
        ("I53_FIRE_5MIN", "turnout_min", "5", "turnout_min < time_min"),
        ("I53_FIRE_5MIN", "time_min", "inf", "turnout_min < time_min"),
        ("I53_FIRE_5MIN", "time_min", "", "不是数字"),
    ],
)
def test_malformed_new_columns_are_rejected(tmp_path, code, field, value, message):
    def edit(rows):
        for r in rows:
            if r["code"] == code:
                r[field] = value
        return rows

    with pytest.raises(SpatialRuleError, match=message):
        load_spatial_rules(_copy_rules(tmp_path, edit))

"""The alarm-rule engine: every rule type fires and clears at the right reading, boundaries on both sides."""

import datetime as dt
import json

import pytest

from cityrenew.lifeline.rules import RuleError, StreamState, evaluate, evaluate_many, parse_rule, tick

T0 = dt.datetime(2026, 7, 1, 8, 0, tzinfo=dt.timezone.utc)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def rule(*levels, unit="MPa"):
    return parse_rule({"id": "r1", "name": "燃气管网压力", "unit": unit, "levels": list(levels)})


def lv(name, rank, *conditions, join="all"):
    return {"name": name, "rank": rank, "join": join, "conditions": list(conditions)}


def cond(kind="threshold", word="超过", value=0.4, **kw):
    return {"kind": kind, "word": word, "value": value, **kw}


@pytest.mark.parametrize(
    "word, reading, fires",
    [
        ("超过", 0.4, False), ("超过", 0.41, True),  # 超过 excludes the number
        ("以上", 0.4, True), ("以上", 0.39, False),  # 以上 includes it (民法典第一千二百五十九条)
        ("以下", 0.4, True), ("以下", 0.41, False),
        ("不满", 0.4, False), ("不满", 0.39, True),
    ],
)
def test_threshold_words_read_as_the_civil_code_reads_them(word, reading, fires):
    r = rule(lv("一级", 1, cond(word=word, value=0.4)))
    event = evaluate(r, StreamState(), at(0), reading)
    assert (event is not None and event.kind == "raise") is fires


def test_threshold_fires_then_updates_then_clears():
    r = rule(lv("一级", 1, cond(value=0.4)))
    s = StreamState()
    assert evaluate(r, s, at(0), 0.3) is None
    e = evaluate(r, s, at(1), 0.5)
    assert (e.kind, e.level, e.value) == ("raise", "一级", 0.5)
    e = evaluate(r, s, at(2), 0.6)  # a repeat updates the one active alarm
    assert (e.kind, e.level, e.since) == ("update", "一级", at(1))
    e = evaluate(r, s, at(3), 0.4)  # exactly the threshold: no longer 超过
    assert (e.kind, e.previous) == ("clear", "一级")
    assert evaluate(r, s, at(4), 0.2) is None


def test_levels_escalate_and_step_down():
    r = rule(lv("一级", 1, cond(value=0.8)), lv("二级", 2, cond(value=0.6)), lv("三级", 3, cond(value=0.4)))
    s = StreamState()
    kinds = [(e.kind, e.level) for e in evaluate_many(r, s, [(at(i), v) for i, v in enumerate([0.5, 0.7, 0.9, 0.7, 0.3])])]
    assert kinds == [("raise", "三级"), ("change", "二级"), ("change", "一级"), ("change", "二级"), ("clear", "")]


def test_duration_boundary_exactly_n_minutes_fires_one_second_less_does_not():
    r = rule(lv("二级", 2, cond(value=0.4, duration_min=10)))
    s = StreamState()
    assert evaluate(r, s, at(0), 0.5) is None  # starts the clock
    assert evaluate(r, s, at(10) - dt.timedelta(seconds=1), 0.5) is None  # held 9 min 59 s
    e = evaluate(r, s, at(10), 0.5)  # held 10 minutes: 持续10分钟 reached
    assert e.kind == "raise"


def test_duration_restarts_when_a_reading_falls_back():
    r = rule(lv("二级", 2, cond(value=0.4, duration_min=10)))
    s = StreamState()
    assert evaluate_many(r, s, [(at(0), 0.5), (at(6), 0.3), (at(8), 0.5), (at(16), 0.5)]) == []
    assert evaluate(r, s, at(18), 0.5).kind == "raise"  # 10 minutes since 08:08


@pytest.mark.parametrize("rise, fires", [(1.0, False), (1.01, True)])
def test_rate_of_change_boundary(rise, fires):
    # 超过 0.1 per minute over a 10-minute window: a rise of exactly 1.0 in 10 minutes is 0.1/min, not 超过
    r = rule(lv("一级", 1, cond("rate", "超过", 0.1, window_min=10, direction="rise")), unit="m")
    s = StreamState()
    assert evaluate(r, s, at(0), 2.0) is None
    event = evaluate(r, s, at(10), 2.0 + rise)
    assert (event is not None) is fires


def test_rate_direction_fall_ignores_a_rise_and_old_readings_leave_the_window():
    r = rule(lv("一级", 1, cond("rate", "以上", 0.5, window_min=5, direction="fall")), unit="m")
    s = StreamState()
    assert evaluate_many(r, s, [(at(0), 10.0), (at(4), 14.0)]) == []  # a rise
    assert evaluate(r, s, at(20), 0.0) is None  # 10.0 and 14.0 left the 5-minute window: one reading only
    assert evaluate(r, s, at(22), -0.98) is None  # falls 0.49 per minute: not 0.5以上
    e = evaluate(r, s, at(24), -2.0)  # (-2 - 0) / 4 min = falls exactly 0.5 per minute: 以上 includes it
    assert (e.kind, e.reasons) == ("raise", ("每分钟下降0.5m（规则：5分钟内每分钟下降0.5m以上）",))


def test_no_data_fires_on_the_clock_and_clears_on_the_next_reading():
    r = rule(lv("四级", 4, cond("nodata", "超过", 30)))
    s = StreamState()
    assert evaluate(r, s, at(0), 1.0) is None
    assert tick(r, s, at(30)) is None  # exactly 30 minutes: not 超过
    e = tick(r, s, at(30.5))
    assert (e.kind, e.level) == ("raise", "四级")
    assert tick(r, s, at(40)).kind == "update"
    assert evaluate(r, s, at(41), 1.0).kind == "clear"


def test_combined_all_and_any():
    both = rule(lv("一级", 1, cond(value=0.4), cond("rate", "超过", 0.05, window_min=5, direction="rise"), join="all"))
    s = StreamState()
    assert evaluate(both, s, at(0), 0.45) is None  # high, but no rise measured yet
    assert evaluate(both, s, at(5), 0.46) is None  # high, rising 0.002/min: not enough
    assert evaluate(both, s, at(6), 0.8).kind == "raise"  # high and rising fast
    either = rule(lv("一级", 1, cond(value=0.4), cond(word="低于", value=0.1), join="any"))
    s = StreamState()
    assert evaluate(either, s, at(0), 0.05).kind == "raise"
    assert evaluate(either, s, at(1), 0.2).kind == "clear"
    assert evaluate(either, s, at(2), 0.5).kind == "raise"


def test_state_survives_a_restart_through_its_dict():
    r = rule(lv("二级", 2, cond(value=0.4, duration_min=10)))
    s = StreamState()
    evaluate(r, s, at(0), 0.5)
    restored = StreamState.from_dict(json.loads(json.dumps(s.to_dict())))  # stored, process restarted
    assert evaluate(r, restored, at(10), 0.5).kind == "raise"
    again = StreamState.from_dict(json.loads(json.dumps(restored.to_dict())))
    assert evaluate(r, again, at(11), 0.5).kind == "update"  # still one active alarm, not a second raise


@pytest.mark.parametrize(
    "data, message",
    [
        ({"id": "x", "levels": [{"conditions": [{"word": "大约", "value": 1}]}]}, "阈值用语“大约”无法识别"),
        ({"id": "x", "levels": [{"conditions": [{"word": "超过", "value": "inf"}]}]}, "有限数"),
        ({"id": "x", "levels": [{"conditions": [{"kind": "rate", "word": "超过", "value": 1}]}]}, "时间窗"),
        ({"id": "x", "levels": []}, "没有任何报警等级"),
        ({"id": "x", "levels": [{"join": "maybe", "conditions": [{"word": "超过", "value": 1}]}]}, "条件组合"),
        ({"levels": [{"conditions": [{"word": "超过", "value": 1}]}]}, "缺少编号"),
    ],
)
def test_bad_rules_are_refused_in_chinese(data, message):
    with pytest.raises(RuleError, match=message):
        parse_rule(data)


def test_readings_out_of_order_and_without_zone_are_refused():
    r = rule(lv("一级", 1, cond(value=0.4)))
    s = StreamState()
    evaluate(r, s, at(5), 0.1)
    with pytest.raises(RuleError, match="早于上一条读数"):
        evaluate(r, s, at(4), 0.9)
    with pytest.raises(RuleError, match="时区"):
        evaluate(r, s, dt.datetime(2026, 7, 1, 9, 0), 0.9)
    with pytest.raises(RuleError, match="不是数值"):
        evaluate(r, s, at(6), "abc")

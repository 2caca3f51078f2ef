"""The policy basis of lifeline monitoring (城市生命线的政策依据), cited through the policy library."""

from cityrenew.catalogue.policies import cite

LIFELINE = cite(
    "HN-EQUIPMENT-CATALOGUE", "序号7",
    "在地级及以上城市全面实施城市生命线工程，推动地下管网、桥梁隧道、排水防涝、窨井盖等完善配套物联智能感知设备加装和更新，"
    "并配套搭建监测物联网，实现城市安全风险防控从被动应对转向主动预防",
    rule="城市生命线监测：感知设备与监测物联网",
)
FOUR_SYNC = cite(
    "HN-EQUIPMENT-CATALOGUE", "序号7",
    "新建城市基础设施物联智能感知设备与主体设备同步设计、同步施工、同步验收、同步交付使用",
    rule="感知设备“四同步”记录",
)

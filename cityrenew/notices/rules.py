"""The rules of public notices, each with its citation (公示规则及其依据).

* :data:`MIN_NOTICE_WORKDAYS` — 《北京市城市更新实施方案联合审查管理办法（试行）》第十一条: a plan that
  passed the joint review is published in the 城市更新信息系统 for no less than 15 working days.
* Periods are counted by ``cityrenew.workdays.calendar`` (民法典第二百零一条: the start day is not
  counted; the period ends at 24:00 of its last working day).

The comment limits (length, rate) are the platform's own settings, not policy: no document sets them.
"""

from __future__ import annotations

from cityrenew.catalogue.policies import cite

NOTICE_PERIOD = cite(
    "BJ-2024-JOINT-REVIEW", "第十一条",
    "城市更新实施方案通过联合审查的，项目情况应在城市更新信息系统进行公示，公示时间不得少于15个工作日",
    rule="实施方案公示期不少于15个工作日",
)
MIN_NOTICE_WORKDAYS = 15  # 北京联审办法第十一条: 公示时间不得少于15个工作日

"""Named choices of owners' votes (业主表决): the matter voted on, ballot choices and sources.

The thresholds live in :mod:`cityrenew.consent.tally` (民法典第二百七十八条, 建筑物区分所有权解释第八条、第九条);
this module says which tally each matter uses and cites the reading for 加装电梯.
"""

from django.db import models

from cityrenew.catalogue.policies import cite
from cityrenew.consent import tally


class Matter(models.TextChoices):  # 表决事项类型
    MAJOR = "major", "重大事项（筹集维修资金、改建重建、改变共有部分用途或利用共有部分经营）"
    ORDINARY = "ordinary", "其他共同决定事项"
    ELEVATOR = "elevator", "加装电梯（同一单元业主共同决定）"


# 加装电梯: the electorate is the owners of one stairwell unit (河南 annex A1 序号2), and the thresholds are
# those of 改建 (民法典第二百七十八条第一款第七项: a major matter). Reading stated here: the annex names who
# decides (同一单元的业主) but no arithmetic; adding a lift to a building is 改建 of a common part, so the 3/4
# thresholds of major matters apply, counted over that unit's owners only.
ELEVATOR_RULE = cite(
    "HN-EQUIPMENT-CATALOGUE", "序号2", "既有住宅满足建筑物结构安全、消防安全等有关规范要求，同一单元的业主共同决定同意加装电梯",
    rule="加装电梯表决：表决范围为同一单元的业主，按改建事项（重大事项）的门槛计票")
ELEVATOR_THRESHOLDS = cite(
    "CIVIL-CODE-2020", "第二百七十八条", "改建、重建建筑物及其附属设施（第一款第七项）",
    rule="加装电梯属改建建筑物及其附属设施，适用参与表决四分之三以上同意的门槛")

# the consent.tally matter each vote matter is counted as
TALLY_MATTER = {Matter.MAJOR: tally.MAJOR, Matter.ORDINARY: tally.ORDINARY, Matter.ELEVATOR: tally.MAJOR}


class Choice(models.TextChoices):  # 表决意见
    AGREE = tally.AGREE, "同意"
    AGAINST = tally.AGAINST, "反对"
    ABSTAIN = tally.ABSTAIN, "弃权"


class Source(models.TextChoices):  # 表决方式
    ONLINE = "online", "网上表决（表决码）"
    PAPER = "paper", "纸质表决票（实施主体录入）"

"""Named choices of the reports app (进度报送), each with its policy source."""

from django.db import models

from cityrenew.catalogue.policies import cite

# 财办建〔2025〕11号 五、: 省级住房城乡建设、财政部门 … 及时将工作进展、存在问题及经验做法等报住房城乡建设部、财政部，
# 原则上每个城市每年不少于1期 (seed 003 L459–463).
REPORT_SOURCE = cite("MOF-2025-11", "五、", "工作进展、存在问题及经验做法报住房城乡建设部、财政部，原则上每个城市每年不少于1期",
                     rule="城市更新工作进展报告（年度报送）")
REVIEW_SOURCE = cite("MOF-2025-11", "五、", "省级住房城乡建设、财政部门建立对入围城市的日常跟踪及监督机制",
                     rule="进度报告由省级用户审核（接收或退回）")


class ReportKind(models.TextChoices):  # 报告类型
    YEARLY = "yearly", "年度报告"
    ON_DEMAND = "on_demand", "专项（临时）报告"


class ReportState(models.TextChoices):  # 报告状态
    GENERATED = "generated", "已生成（待报送）"
    SUBMITTED = "submitted", "已报送（待审核）"
    RETURNED = "returned", "已退回"
    ACCEPTED = "accepted", "已接收"
    SUPERSEDED = "superseded", "已作废（被新版本替代）"


# From which state each action may start (the state machine of a report version).
SUBMITTABLE = frozenset({ReportState.GENERATED})
REVIEWABLE = frozenset({ReportState.SUBMITTED})

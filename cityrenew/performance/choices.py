"""Named choices and policy citations of the performance app (绩效).

财办建〔2025〕11号 names two target tables — 三年行动总体绩效目标表 and 年度绩效目标表 — sealed by the city government
and filed before the publicity ends (六、（四）), evaluation under 财办建〔2024〕46号 (五、; that method's text is not in
our library, so an evaluation record holds what the evaluator wrote and no scoring is computed here), and tranches
paid by progress (四、（一）). The residents' joint evaluation of old-community renovation is 国办发〔2020〕23号's
“效果共评” (一、（二）) and “评价和反馈小区改造效果” (三、（二）).
"""

from django.db import models

from cityrenew.catalogue.policies import cite


class TableKind(models.TextChoices):  # 绩效目标表类型
    OVERALL = "overall", "三年行动总体绩效目标表"
    ANNUAL = "annual", "年度绩效目标表"


class TableState(models.TextChoices):  # 绩效目标表状态
    DRAFT = "draft", "编制中"
    FILED = "filed", "已盖章备案"


class Direction(models.TextChoices):  # 指标方向
    INCREASE = "increase", "正向（实际值不低于目标值为达成）"
    DECREASE = "decrease", "反向（实际值不高于目标值为达成）"


TABLES_SOURCE = cite(
    "MOF-2025-11", "六、（四）",
    "入围城市将三年行动总体绩效目标表、年度绩效目标表加盖城市人民政府公章后，于公示期结束前报财政部、住房城乡建设部备案",
    rule="绩效目标表盖章备案，备案后不得修改",
)
# 一、工作目标: “力争通过三年探索” — the overall table covers three years from its first year.
OVERALL_YEARS = 3
OVERALL_YEARS_SOURCE = cite("MOF-2025-11", "一、", "力争通过三年探索……形成可复制、可推广的模式和经验",
                            rule="三年行动总体绩效目标表覆盖三个年度")
EVALUATION_SOURCE = cite(
    "MOF-2025-11", "五、",
    "财政部、住房城乡建设部按照《中央财政支持城市更新行动绩效评价办法》（财办建〔2024〕46号）开展绩效评价；"
    "该办法正文不在本平台政策库中，评价记录只保存评价方给出的得分、结论和文件，不自行计算得分",
    rule="年度绩效评价记录（每市每年一条）",
)
RELEASE_SOURCE = cite(
    "MOF-2025-11", "四、（一）", "资金根据工作推进情况分年拨付到位",
    rule="中央财政城市更新补助资金拨付前：当年年度绩效目标表已备案，上一年度指标已填报实际值",
)
RESIDENT_SOURCE = cite("GBF-2020-23", "一、（二）", "决策共谋、发展共建、建设共管、效果共评、成果共享",
                       rule="城镇老旧小区改造效果共评（居民评价）")
RESIDENT_FEEDBACK_SOURCE = cite("GBF-2020-23", "三、（二）", "发动居民积极参与……评价和反馈小区改造效果")

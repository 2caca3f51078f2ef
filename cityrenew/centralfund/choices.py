"""Named choices of the central-fund application and selection (中央财政支持实施城市更新行动申报与遴选).

The states follow 财办建〔2025〕11号 (document key ``MOF-2025-11``) 三、（一）至（四） and 六、; the moves
between them, with the actor allowed to make each and the article each cites, are in ``workflow.py``.
"""

from django.db import models


class CapRegion(models.TextChoices):  # 补助区域（四、（一））
    EAST = "east", "东部地区"
    CENTRAL = "central", "中部地区"
    WEST = "west", "西部地区"
    MUNICIPALITY = "municipality", "直辖市"


class ApplicationState(models.TextChoices):  # 申报状态（W1）
    DRAFT = "draft", "编制中"
    RECOMMENDED = "recommended", "省级已推荐"  # 三、（一）
    SUBMITTED = "submitted", "已报送"  # 六、（一）
    REJECTED_FORMAL = "rejected_formal", "形式审查未通过"  # 六、（三）
    IN_WRITTEN_REVIEW = "in_written_review", "书面评审中"  # 三、（二）
    NOT_SHORTLISTED = "not_shortlisted", "未进入现场答辩"  # 三、（二）
    SHORTLISTED = "shortlisted", "进入现场答辩"  # 三、（二）
    DEFENDED = "defended", "已答辩"  # 三、（三）
    SELECTED = "selected", "入围"  # 三、（四）
    NOT_SELECTED = "not_selected", "未入围"  # 三、（四）
    IN_PUBLICITY = "in_publicity", "公示中"  # 三、（四）
    CONFIRMED = "confirmed", "确定为支持城市"  # 三、（四）
    DISQUALIFIED = "disqualified", "取消资格"  # 三、（四）
    TARGETS_FILED = "targets_filed", "绩效目标表已备案"  # 六、（四）
    FUNDED = "funded", "分年拨付中"  # 四、（一）
    TRACKING = "tracking", "跟踪监督中"  # 五、
    EVALUATED = "evaluated", "已绩效评价"  # 五、
    INELIGIBLE = "ineligible", "取消当年申报资格"  # 六、（三）


class Condition(models.IntegerChoices):  # 申报基础条件（二、 1.–3.）
    MECHANISM = 1, "建立组织领导和协调工作机制，制定工作方案，实施范围集中在老城区"
    FINANCE = 2, "城市财力满足更新投入需要，地方政府债务风险低，不形成新的隐性债务"
    SAFETY = 3, "2023年（含）以来住房城乡建设领域未出现重大生产安全事故或重大负面舆情事件"


class SizeClass(models.TextChoices):  # 城市规模（二、：支持范围为大城市及以上城市）
    MEGA = "mega", "超大城市"
    EXTRA_LARGE = "extra_large", "特大城市"
    LARGE = "large", "大城市"
    OTHER = "other", "中等及以下城市"


class FlagshipCategory(models.IntegerChoices):  # 城市更新重点样板项目（四、（二）1.）
    NETWORKS = 1, "地下管网更新改造和经济集约型综合管廊"
    SEWAGE = 2, "污水处理“厂网一体”、污水管网全覆盖样板区"
    MUNICIPAL = 3, "市政基础设施提升改造（垃圾分类、建筑垃圾、综合杆箱、危旧桥梁、机械停车）"
    DISTRICTS = 4, "既有片区更新改造（历史文化街区、老旧小区、口袋公园、绿地开放共享）"


class FlagshipKind(models.TextChoices):  # 样板项目 / 样板片区（四、（二））
    PROJECT = "project", "样板项目"
    AREA = "area", "样板片区"


class MechanismCategory(models.IntegerChoices):  # 城市更新机制建设（四、（二）2.）
    RESERVE = 1, "项目储备和生成机制"
    FUNDS = 2, "资金安排和筹措机制"
    LAND = 3, "用地保障和审批机制"


class FileKind(models.TextChoices):  # 申报材料类别
    CONDITION_1 = "condition_1", "佐证材料：基础条件1"
    CONDITION_2 = "condition_2", "佐证材料：基础条件2"
    CONDITION_3 = "condition_3", "佐证材料：基础条件3"
    WORK_PLAN = "work_plan", "工作方案"
    JOINT_DOCUMENT = "joint_document", "省级联合行文"
    OTHER = "other", "其他支撑材料"


class Medium(models.TextChoices):  # 报送方式（六、（一））
    EMAIL = "email", "邮箱报送（上传）"
    DISC = "disc", "光盘等移动存储方式邮寄（登记大小）"


class CandidateStatus(models.TextChoices):  # 参评城市遴选状态
    IN_REVIEW = "in_review", "书面评审"
    SHORTLISTED = "shortlisted", "进入现场答辩"
    NOT_SHORTLISTED = "not_shortlisted", "未进入现场答辩"
    SELECTED = "selected", "入围"
    NOT_SELECTED = "not_selected", "未入围"
    IN_PUBLICITY = "in_publicity", "公示中"
    CONFIRMED = "confirmed", "确定为支持城市"
    DISQUALIFIED = "disqualified", "取消资格"


class RoundStage(models.TextChoices):  # 遴选阶段
    WRITTEN = "written", "书面评审"
    DEFENCE = "defence", "现场答辩"
    SELECTED = "selected", "已确定入围城市"
    PUBLICITY = "publicity", "集中公示"
    CLOSED = "closed", "已确定支持城市"

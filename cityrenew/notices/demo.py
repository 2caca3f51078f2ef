"""Demo data of the notices: one approved plan published on the public site, with a few comments.

Uses an approved plan of the plans demo when there is one; otherwise creates one (a project of the
library in 中原区, a demo 实施主体) so this part also works alone. Idempotent: a plan that already has a
notice is left as it is.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from cityrenew.core import audit
from cityrenew.core.choices import OrganisationKind, Role
from cityrenew.core.models import Organisation, Region
from cityrenew.plans.choices import PlanCategory, PlanState
from cityrenew.plans.models import ImplementationPlan

from . import services
from .choices import CommentKind
from .models import Notice

COMMENTS = [
    ("王建国", "13800001111", CommentKind.OPINION, "建议施工期间保留小区北门通行，方便老人出入。"),
    ("李秀英", "li.xiuying@example.com", CommentKind.OBJECTION, "加装电梯的费用分摊方案没有公示，低层住户不同意按面积平摊。"),
    ("张伟", "13900002222", CommentKind.OPINION, "希望新增的停车位优先安排给本小区住户。"),
]
REPLY = "感谢您的意见。施工期间北门保持通行，并设置临时无障碍坡道。"


def _plan() -> ImplementationPlan | None:
    plan = ImplementationPlan.objects.filter(state=PlanState.APPROVED, notices__isnull=True).order_by("pk").first()
    if plan is not None or Notice.objects.exists():
        return plan
    from cityrenew.projects.models import RenewalProject

    zhongyuan = Region.objects.filter(code="410102").first()
    project = RenewalProject.objects.filter(districts=zhongyuan, location__isnull=False).order_by("code").first()
    if zhongyuan is None or project is None:
        return None
    entity, _ = Organisation.objects.get_or_create(
        name="郑州市中原区城市更新投资有限公司", defaults={"kind": OrganisationKind.ENTITY, "region": zhongyuan})
    plan, _ = ImplementationPlan.objects.get_or_create(
        code="SS-2026-GS01", defaults={
            "title": f"{project.name}城市更新实施方案", "project": project, "district": zhongyuan, "entity": entity,
            "category": PlanCategory.AREA, "state": PlanState.APPROVED,
            "summary": "对片区内老旧楼栋进行综合整治：外墙保温与屋面防水、雨污分流改造、加装电梯、"
                       "补齐养老托育和停车设施。\n改造期间分楼栋施工，居民不需搬离。",
        })
    return plan if plan.state == PlanState.APPROVED else None


def load(stdout=None) -> dict[str, int]:
    User = get_user_model()
    admin = User.objects.filter(username="admin").first() or User.objects.filter(is_superuser=True).first()
    plan = _plan()
    if plan is None or admin is None:
        return {}
    with audit.actor(admin, "system", "演示数据"):
        try:
            notice = services.publish(plan, user=admin)
        except services.NoticeError as exc:  # e.g. the period reaches a year the calendar does not know yet
            if stdout is not None:
                stdout.write(f"演示公示未发布：{exc}\n")
            return {}
        comments = [services.add_comment(notice, name=n, contact=c, kind=k, body=b, ip=f"192.0.2.{i}")
                    for i, (n, c, k, b) in enumerate(COMMENTS, start=1)]
    entity_user = (User.objects.filter(role_assignments__role=Role.ENTITY_EDITOR,
                                       role_assignments__organisation=plan.entity).first())
    if entity_user is not None:
        with audit.actor(entity_user, "system", "演示数据"):
            services.reply(comments[0], user=entity_user, body=REPLY)
    if stdout is not None:
        stdout.write(f"公示：{notice.title}（{notice.start_date.isoformat()}起{notice.days}个工作日，"
                     f"{notice.end_date.isoformat()}届满），公众页面 /public/notices/{notice.pk}/")
    return {"notices": 1, "comments": len(comments)}




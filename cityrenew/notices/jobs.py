"""Background job of the notices: close the notices whose period has ended (公示期满转入办理许可).

``cityrenew notices close`` runs the same function; run either daily (cron or a systemd timer), or
launch the job from the staff notice list. Idempotent: a closed notice is never closed again.
"""

from __future__ import annotations

from typing import Any

from cityrenew.jobs.models import Job
from cityrenew.jobs.registry import register


@register("notices.close_ended", title="处理公示期满的实施方案", idempotent=True)
def close_ended_job(job: Job) -> dict[str, Any]:
    from .services import close_ended

    job.progress(0, 1, "检查公示期")
    closed = close_ended()
    job.progress(1, 1, "完成")
    names = "、".join(n.plan.code for n in closed)
    return {"text": f"{len(closed)}项公示期满，已转入办理许可和备案" + (f"：{names}" if names else "")}

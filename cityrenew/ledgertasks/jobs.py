"""Background job: evaluate a city's ledger against the renewal rules and store the verdicts."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from cityrenew.core.models import Region
from cityrenew.jobs.models import Job, JobError
from cityrenew.jobs.registry import register
from cityrenew.ledgers.rules import RuleError


@register("ledgers.evaluate", title="判定台账（更新规则）", idempotent=True, atomic=False)
def evaluate_job(job: Job, *, ledger_kind: str, city_id: int, province: str = "", as_of: str = "") -> dict[str, Any]:
    """A whole city's ledger through the vectorised evaluator; verdicts written in one transaction
    (a re-run replaces them, so the job is idempotent)."""
    from .services import KIND_LABELS, evaluate_ledger

    city = Region.objects.filter(pk=city_id).first()
    if city is None:
        raise JobError("城市不存在")
    try:
        run = evaluate_ledger(ledger_kind, city, province=province, as_of=date.fromisoformat(as_of) if as_of else None,
                              user=job.owner, progress=job.progress)
    except RuleError as exc:
        raise JobError(str(exc)) from exc
    counts = "，".join(f"{k} {v} 行" for k, v in run.counts.items())
    return {"text": f"已按{run.province}规则（{run.ruleset_version}）判定{KIND_LABELS[ledger_kind]}台账 {run.rows} 行，"
                    f"基准日 {run.as_of}：{counts}",
            "links": [{"label": "查看更新任务清单", "url": reverse("ledgertasks:tasks", args=[ledger_kind])}]}

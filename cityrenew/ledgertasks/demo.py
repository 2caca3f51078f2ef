"""Demo: Zhengzhou applies Henan's catalogue; the generated demo ledgers are evaluated (Beijing's building
types for the building ledger), a share of the demo rows with a mandatory verdict is marked 已完成更新 so the
progress chart has something to show (demo rows only, marked 演示数据), and indicator 2 is attached to the
demo check-up runs from the equipment ledger."""

from __future__ import annotations

from datetime import date

from cityrenew.core import audit
from cityrenew.core.choices import RegionLevel
from cityrenew.core.models import Region
from cityrenew.ledgers.models import LEDGER_MODELS
from cityrenew.ledgers.rules import RuleError

from .models import CityRuleSettings, LedgerVerdict
from .services import MANDATORY, attach_gas_indicator, evaluate_ledger

AS_OF = date(2026, 6, 30)
PROVINCE = {"building": "北京市"}  # the building ledger follows 京建法〔2024〕14号 (the only building catalogue)
RENEWED_SHARE = 3  # every 3rd demo row with a mandatory verdict is shown as renewed


def load(stdout=None) -> dict[str, int]:
    city = Region.objects.filter(level=RegionLevel.CITY, name__startswith="郑州").first()
    if city is None:
        return {}
    out: dict[str, int] = {}
    with audit.actor(None, "system", "演示数据"):
        if not CityRuleSettings.objects.filter(city=city).exists():
            CityRuleSettings(city=city, province="河南省").save()
        for kind, model in LEDGER_MODELS.items():
            if not model.objects.filter(demo=True).exists():
                continue
            mandatory = LedgerVerdict.objects.filter(kind=kind, verdict__in=MANDATORY[kind])
            if not mandatory.exists():
                try:
                    evaluate_ledger(kind, city, province=PROVINCE.get(kind, ""), as_of=AS_OF)
                except RuleError as exc:
                    if stdout is not None:
                        stdout.write(f"演示台账判定跳过（{kind}）：{exc}\n")
                    continue
                ids = list(mandatory.order_by("code").values_list("row_id", flat=True))[::RENEWED_SHARE]
                model.objects.filter(pk__in=ids, demo=True).update(status="renewed")
            out[str(kind)] = LedgerVerdict.objects.filter(kind=kind).count()
        from cityrenew.checkup.models import CheckupRun

        for run in CheckupRun.objects.filter(city=city):
            attach_gas_indicator(run)
    if stdout is not None and out:
        stdout.write("演示台账判定：" + "，".join(f"{k} {n} 行" for k, n in out.items()) + "（更新任务清单：/ledgers/tasks/equipment/）\n")
    return out

"""The demo's performance records: loaded once (a second run adds nothing), sealed tables with 2025 actuals."""

from __future__ import annotations

import pytest

from cityrenew.performance import demo
from cityrenew.performance.models import Evaluation, Period, TargetTable
from cityrenew.performance.release import blockers_for

pytestmark = pytest.mark.django_db


def test_demo_loads_once_and_tells_its_story(regions, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    counts = demo.load()
    assert counts["tables"] == 3 and demo.load() == {}
    assert TargetTable.objects.count() == 3 and TargetTable.objects.filter(state="filed").count() == 2
    assert Evaluation.objects.get().score == 88.5
    filed = TargetTable.objects.filter(state="filed")
    assert not Period.objects.filter(indicator__result__table__in=filed, year=2025, actual__isnull=True).exists()
    zz = regions["郑州市"]
    assert blockers_for(zz.pk, 2025) == []
    (reason,) = blockers_for(zz.pk, 2026)  # the 2026 table is still being drawn up
    assert reason.startswith("2026 年度绩效目标表尚未盖章备案")

"""The platform's today for working-day periods: Beijing's date, or the day CITYRENEW_TODAY pins."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cityrenew.workdays import clock


def test_today_is_beijings_date_unless_pinned(settings):
    settings.CITYRENEW_TODAY = None
    assert clock.today() == timezone.localdate()
    settings.CITYRENEW_TODAY = "2025-09-26"
    assert clock.today() == dt.date(2025, 9, 26)
    settings.CITYRENEW_TODAY = dt.date(2026, 2, 28)
    assert clock.today() == dt.date(2026, 2, 28)

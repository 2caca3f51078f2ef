"""The platform's "today" for working-day periods (notices, review due dates, land deadlines).

``today()`` is the date in Beijing time (``TIME_ZONE``), unless the setting ``CITYRENEW_TODAY`` (an ISO
date; environment variable of the same name) pins it. Pinning is for tests and training sites: a period
counted from the real date reaches, late in a year, the next year, which the calendar does not know until
its State Council notice is published (``cityrenew calendar load-notice``) and which it refuses to guess.
Only the date of periods is pinned; timestamps (published at, answered at, ballots) stay real.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone


def today() -> dt.date:
    pinned = getattr(settings, "CITYRENEW_TODAY", None)
    if pinned:
        return pinned if isinstance(pinned, dt.date) else dt.date.fromisoformat(str(pinned))
    return timezone.localdate()

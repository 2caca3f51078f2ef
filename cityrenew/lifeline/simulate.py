"""A simulated city's sensors (模拟器): readings for every datastream whose ``properties["sim"]`` says how it
behaves — ``{"base": 0.3, "amp": 0.02, "noise": 0.005, "period_h": 24}`` — with, from time to time, an
excursion (``"excursion": 0.25`` added for a while to a few streams) so alarms rise and clear. The demo
marks its streams so; a city's real streams are never touched. Readings go through the MQTT broker
(as devices send them) or, without one, straight to the batch path.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterable
from typing import Any

from .models import Datastream
from .storage import Reading


def simulated_streams() -> list[Datastream]:
    return [ds for ds in Datastream.objects.select_related("device").order_by("id") if isinstance((ds.properties or {}).get("sim"), dict)]


def value_at(ds: Datastream, t: dt.datetime, rng: random.Random, excursion: bool = False) -> float:
    sim: dict[str, Any] = ds.properties["sim"]
    base, amp, noise = float(sim.get("base", 0)), float(sim.get("amp", 0)), float(sim.get("noise", 0))
    period = float(sim.get("period_h", 24)) * 3600
    phase = (t.timestamp() % period) / period * 2 * math.pi
    v = base + amp * math.sin(phase) + rng.gauss(0, noise)
    if excursion:
        v += float(sim.get("excursion", 0))
    lo = sim.get("min")
    return round(max(v, float(lo)) if lo is not None else v, 4)


def readings(streams: Iterable[Datastream], t: dt.datetime, rng: random.Random, excursions: set[int]) -> list[Reading]:
    return [Reading(ds.pk, t, value_at(ds, t, rng, ds.pk in excursions)) for ds in streams]


def history(streams: list[Datastream], start: dt.datetime, end: dt.datetime, step: dt.timedelta, *, seed: int = 7,
            episodes: dict[int, list[tuple[dt.datetime, dt.datetime]]] | None = None) -> list[Reading]:
    """Readings from ``start`` to ``end``; ``episodes``: datastream → excursion intervals."""
    rng = random.Random(seed)
    out: list[Reading] = []
    t = start
    while t <= end:
        busy = {ds_id for ds_id, spans in (episodes or {}).items() if any(a <= t < b for a, b in spans)}
        out.extend(readings(streams, t, rng, busy))
        t += step
    return out

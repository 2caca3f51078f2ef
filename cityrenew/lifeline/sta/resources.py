"""The SensorThings entity sets and how they map onto the lifeline models."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, QuerySet

from ..models import Datastream, Device, Location, Observation, ObservedProperty, Sensor


def iso(t: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with ``Z``, as SensorThings servers write times."""
    if t is None:
        return None
    return t.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Nav:  # 导航属性
    target: str  # entity set name
    many: bool
    lookup: Callable[[Any], dict[str, Any]]  # parent object -> filter of the target set


@dataclass(frozen=True)
class EntitySet:  # 实体集
    name: str  # "Things"
    singular: str  # "Thing"
    model: type[Model]
    props: Callable[[Any], dict[str, Any]]  # object -> its properties (no links)
    aliases: dict[str, str]  # SensorThings property path -> ORM path ($filter, $orderby)
    navs: dict[str, Nav] = field(default_factory=dict)
    default_order: tuple[str, ...] = ("id",)

    def queryset(self) -> QuerySet:
        qs = self.model.objects.all()
        if self.model is Datastream:
            qs = qs.select_related("device", "sensor", "observed_property")
        return qs


def _geojson(geom) -> Any:
    return json.loads(geom.geojson) if geom is not None else None


SETS: dict[str, EntitySet] = {}


def _add(s: EntitySet) -> None:
    SETS[s.name] = s


_add(EntitySet(
    "Things", "Thing", Device,
    lambda d: {"name": d.name, "description": d.description,
               "properties": {**(d.properties or {}), "code": d.code, "sector": d.sector}},
    {"name": "name", "description": "description", "properties/code": "code", "properties/sector": "sector"},
    {"Datastreams": Nav("Datastreams", True, lambda d: {"device_id": d.pk}),
     "Locations": Nav("Locations", True, lambda d: {"devices": d.pk})},
))
_add(EntitySet(
    "Locations", "Location", Location,
    lambda loc: {"name": loc.name, "description": loc.description, "encodingType": loc.encoding_type,
                 "location": _geojson(loc.geometry)},
    {"name": "name", "description": "description", "encodingType": "encoding_type"},
    {"Things": Nav("Things", True, lambda loc: {"locations": loc.pk})},
))
_add(EntitySet(
    "Sensors", "Sensor", Sensor,
    lambda s: {"name": s.name, "description": s.description, "encodingType": s.encoding_type, "metadata": s.metadata},
    {"name": "name", "description": "description", "encodingType": "encoding_type", "metadata": "metadata"},
    {"Datastreams": Nav("Datastreams", True, lambda s: {"sensor_id": s.pk})},
))
_add(EntitySet(
    "ObservedProperties", "ObservedProperty", ObservedProperty,
    lambda p: {"name": p.name, "definition": p.definition, "description": p.description},
    {"name": "name", "definition": "definition", "description": "description"},
    {"Datastreams": Nav("Datastreams", True, lambda p: {"observed_property_id": p.pk})},
))
_add(EntitySet(
    "Datastreams", "Datastream", Datastream,
    lambda d: {"name": d.name, "description": d.description,
               "unitOfMeasurement": {"name": d.unit_name, "symbol": d.unit_symbol, "definition": d.unit_definition},
               "observationType": d.observation_type, "properties": d.properties or {}},
    {"name": "name", "description": "description", "observationType": "observation_type",
     "unitOfMeasurement/name": "unit_name", "unitOfMeasurement/symbol": "unit_symbol",
     "unitOfMeasurement/definition": "unit_definition", "Thing/id": "device_id", "Sensor/id": "sensor_id",
     "ObservedProperty/id": "observed_property_id", "Thing/name": "device__name"},
    {"Thing": Nav("Things", False, lambda d: {"id": d.device_id}),
     "Sensor": Nav("Sensors", False, lambda d: {"id": d.sensor_id}),
     "ObservedProperty": Nav("ObservedProperties", False, lambda d: {"id": d.observed_property_id}),
     "Observations": Nav("Observations", True, lambda d: {"datastream_id": d.pk})},
))
_add(EntitySet(
    "Observations", "Observation", Observation,
    lambda o: {"phenomenonTime": iso(o.phenomenon_time), "resultTime": iso(o.result_time), "result": o.result},
    {"phenomenonTime": "phenomenon_time", "resultTime": "result_time", "result": "result",
     "Datastream/id": "datastream_id"},
    {"Datastream": Nav("Datastreams", False, lambda o: {"id": o.datastream_id})},
))


def self_link(base: str, s: EntitySet, pk: Any) -> str:
    return f"{base}{s.name}({pk})"


def to_json(base: str, s: EntitySet, obj: Any, select: list[str] | None = None) -> dict[str, Any]:
    """The entity as SensorThings writes it: ``@iot.id``, ``@iot.selfLink``, properties, navigation links."""
    link = self_link(base, s, obj.pk)
    out: dict[str, Any] = {"@iot.id": obj.pk, "@iot.selfLink": link}
    out.update(s.props(obj))
    for name in s.navs:
        out[f"{name}@iot.navigationLink"] = f"{link}/{name}"
    if select:
        wanted = {"@iot.id" if name in ("id", "@iot.id") else name for name in select}
        wanted |= {"@iot.selfLink"} if "selfLink" in select else set()
        out = {k: v for k, v in out.items() if k in wanted or (k.split("@")[0] in wanted and k.split("@")[0])}
    return out

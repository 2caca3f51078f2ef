"""Creating and changing SensorThings entities: deep insert (a Thing with its Locations and Datastreams,
each with its Sensor and ObservedProperty), links to existing entities by ``@iot.id``, PATCH of
properties, and Observations through the batch path. Everything in one transaction; bad input raises
:class:`WriteError` (Chinese, answered 400) and nothing is created."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction

from ..choices import Sector
from ..models import Datastream, Device, Location, ObservedProperty, Sensor
from ..storage import IngestError, Reading, ingest


class WriteError(ValueError):
    """Bad input to a write (Chinese message)."""


def _text(data: dict, key: str, where: str, *, required: bool = True, limit: int = 200) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise WriteError(f"{where}的 {key} 必须是字符串")
    if required and not value.strip():
        raise WriteError(f"{where}缺少必填属性 {key}")
    if len(value) > limit:
        raise WriteError(f"{where}的 {key} 超过 {limit} 个字符")
    return value.strip()


def _ref(data: Any, model, where: str):
    """``{"@iot.id": n}`` → the existing object, or None when ``data`` is a new entity."""
    if isinstance(data, dict) and set(data) == {"@iot.id"}:
        obj = model.objects.filter(pk=data["@iot.id"]).first() if isinstance(data["@iot.id"], int) else None
        if obj is None:
            raise WriteError(f"{where}引用的实体 {data['@iot.id']} 不存在")
        return obj
    if not isinstance(data, dict):
        raise WriteError(f"{where}必须是 JSON 对象")
    return None


def parse_time(value: Any, where: str) -> dt.datetime | None:
    """An ISO 8601 instant; an interval ``a/b`` gives its end (the reading's time)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise WriteError(f"{where}必须是 ISO 8601 时间字符串")
    text = value.split("/")[-1].strip().replace("Z", "+00:00")
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        raise WriteError(f"{where}“{value}”不是 ISO 8601 时间") from None
    if t.tzinfo is None:
        raise WriteError(f"{where}“{value}”缺少时区（如 2026-07-01T08:00:00+08:00 或 …Z）")
    return t


def _geometry(value: Any, where: str) -> GEOSGeometry:
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or "type" not in value:
        raise WriteError(f"{where}的 location 必须是 GeoJSON 几何")
    try:
        geom = GEOSGeometry(json.dumps(value), srid=4326)
    except (ValueError, TypeError, Exception) as exc:  # GDALException / GEOSException
        raise WriteError(f"{where}的 location 不是有效的 GeoJSON：{exc}") from None
    if geom.geom_type == "Point" and not (-180 <= geom.x <= 180 and -90 <= geom.y <= 90):
        raise WriteError(f"{where}的坐标超出经纬度范围（应为 [经度, 纬度]，WGS84）")
    return geom


def create_sensor(data: Any) -> Sensor:
    obj = _ref(data, Sensor, "Sensor")
    if obj is not None:
        return obj
    return Sensor.objects.create(name=_text(data, "name", "Sensor"), description=_text(data, "description", "Sensor", required=False, limit=5000),
                                 encoding_type=_text(data, "encodingType", "Sensor", required=False) or "application/pdf",
                                 metadata=str(data.get("metadata", ""))[:5000])


def create_observed_property(data: Any) -> ObservedProperty:
    obj = _ref(data, ObservedProperty, "ObservedProperty")
    if obj is not None:
        return obj
    return ObservedProperty.objects.create(name=_text(data, "name", "ObservedProperty"),
                                           definition=_text(data, "definition", "ObservedProperty", required=False, limit=300),
                                           description=_text(data, "description", "ObservedProperty", required=False, limit=5000))


def create_location(data: Any, thing: Device | None = None) -> Location:
    obj = _ref(data, Location, "Location")
    if obj is None:
        geom = _geometry(data.get("location"), "Location")
        obj = Location.objects.create(name=_text(data, "name", "Location"),
                                      description=_text(data, "description", "Location", required=False, limit=5000),
                                      encoding_type=_text(data, "encodingType", "Location", required=False) or "application/geo+json",
                                      geometry=geom)
        for t in data.get("Things") or []:
            obj.devices.add(create_thing(t))
    if thing is not None:
        obj.devices.add(thing)
        if obj.geometry.geom_type == "Point":
            thing.location = obj.geometry
            thing.save()
    return obj


def _sector(value: Any) -> str:
    if value in (None, ""):
        return Sector.OTHER
    for choice in Sector:
        if value in (choice.value, choice.label):
            return choice.value
    raise WriteError(f"Thing 的 properties.sector“{value}”不是已知行业（{'、'.join(c.label for c in Sector)}）")


def create_thing(data: Any) -> Device:
    obj = _ref(data, Device, "Thing")
    if obj is not None:
        return obj
    props = data.get("properties") or {}
    if not isinstance(props, dict):
        raise WriteError("Thing 的 properties 必须是 JSON 对象")
    props = dict(props)
    code = str(props.pop("code", "") or "").strip() or f"STA-{secrets.token_hex(4).upper()}"
    if Device.objects.filter(code=code).exists():
        raise WriteError(f"设备编码 {code} 已存在（properties.code 须唯一）")
    sector = _sector(props.pop("sector", None))
    thing = Device.objects.create(code=code, name=_text(data, "name", "Thing"),
                                  description=_text(data, "description", "Thing", required=False, limit=5000),
                                  sector=sector, properties=props)
    for loc in data.get("Locations") or []:
        create_location(loc, thing)
    for ds in data.get("Datastreams") or []:
        create_datastream(ds, thing)
    return thing


def create_datastream(data: Any, thing: Device | None = None) -> Datastream:
    obj = _ref(data, Datastream, "Datastream")
    if obj is not None:
        return obj
    where = "Datastream"
    unit = data.get("unitOfMeasurement")
    if not isinstance(unit, dict) or not str(unit.get("symbol") or "").strip():
        raise WriteError(f"{where}缺少 unitOfMeasurement（须含 name、symbol、definition）")
    if thing is None:
        if "Thing" not in data:
            raise WriteError(f"{where}须关联一个 Thing")
        thing = create_thing(data["Thing"])
    if "Sensor" not in data or "ObservedProperty" not in data:
        raise WriteError(f"{where}须关联 Sensor 和 ObservedProperty")
    ds = Datastream.objects.create(
        name=_text(data, "name", where), description=_text(data, "description", where, required=False, limit=5000),
        device=thing, sensor=create_sensor(data["Sensor"]), observed_property=create_observed_property(data["ObservedProperty"]),
        observation_type=_text(data, "observationType", where, required=False, limit=200)
        or "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
        unit_name=str(unit.get("name") or unit["symbol"])[:100], unit_symbol=str(unit["symbol"]).strip()[:32],
        unit_definition=str(unit.get("definition") or "")[:300], properties=data.get("properties") or {},
    )
    observations = data.get("Observations") or []
    if observations:
        observe(ds, observations, source="api")
    return ds


def reading_from(data: Any, ds: Datastream | None, where: str = "Observation") -> Reading:
    if not isinstance(data, dict):
        raise WriteError(f"{where}必须是 JSON 对象")
    if ds is None:
        ref = data.get("Datastream")
        if not (isinstance(ref, dict) and isinstance(ref.get("@iot.id"), int)):
            raise WriteError(f"{where}须以 {{\"Datastream\": {{\"@iot.id\": …}}}} 指明数据流")
        ds_id = ref["@iot.id"]
    else:
        ds_id = ds.pk
    if "result" not in data:
        raise WriteError(f"{where}缺少 result")
    t = parse_time(data.get("phenomenonTime"), f"{where}的 phenomenonTime")
    if t is None:
        raise WriteError(f"{where}缺少 phenomenonTime")
    params = data.get("parameters") or {}
    unit = params.get("unit") if isinstance(params, dict) else None
    return Reading(ds_id, t, data["result"], parse_time(data.get("resultTime"), f"{where}的 resultTime"),
                   unit=str(unit) if unit is not None else None)


def observe(ds: Datastream | None, items: list[Any], *, source: str, device: Device | None = None,
            return_ids: bool = False):
    readings = [reading_from(item, ds, f"第 {i} 条 Observation") for i, item in enumerate(items, 1)]
    try:
        return ingest(readings, source=source, device=device, return_ids=return_ids)
    except IngestError as exc:
        raise WriteError(str(exc)) from None


PATCHABLE = {
    "Things": {"name": "name", "description": "description", "properties": "properties"},
    "Locations": {"name": "name", "description": "description", "encodingType": "encoding_type"},
    "Sensors": {"name": "name", "description": "description", "encodingType": "encoding_type", "metadata": "metadata"},
    "ObservedProperties": {"name": "name", "definition": "definition", "description": "description"},
    "Datastreams": {"name": "name", "description": "description", "observationType": "observation_type",
                    "properties": "properties"},
}
CREATORS = {
    "Things": create_thing, "Locations": create_location, "Sensors": create_sensor,
    "ObservedProperties": create_observed_property, "Datastreams": create_datastream,
}


def create(set_name: str, data: Any):
    with transaction.atomic():
        return CREATORS[set_name](data)


def patch(set_name: str, obj: Any, data: Any) -> Any:
    if not isinstance(data, dict):
        raise WriteError("PATCH 的内容必须是 JSON 对象")
    allowed = PATCHABLE[set_name]
    for key, value in data.items():
        if key == "location" and set_name == "Locations":
            obj.geometry = _geometry(value, "Location")
            continue
        if key not in allowed:
            raise WriteError(f"{set_name} 的属性 {key} 不能修改（可修改：{'、'.join(allowed)}）")
        field = allowed[key]
        if field == "properties" and not isinstance(value, dict):
            raise WriteError("properties 必须是 JSON 对象")
        if field != "properties" and not isinstance(value, str):
            raise WriteError(f"{key} 必须是字符串")
        setattr(obj, field, value)
    with transaction.atomic():
        obj.save()
    return obj

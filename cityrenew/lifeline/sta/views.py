"""The SensorThings service: one view that routes resource paths under ``/api/sta/v1.1/``.

Authentication: a device key (HTTP Basic, user name = device code; :mod:`cityrenew.lifeline.keys`),
HTTP Basic with a user's password, the API's token, or the session. A device may only send readings
for its own datastreams (``POST …/Observations``, ``POST CreateObservations``); a user reads
everything the lifeline pages show, and 市级管理员/区级编辑 create, change and delete entities (a device's
district, when set, must be within the editor's). Readings are append-only: PATCH and DELETE of an
Observation are refused. Errors are JSON ``{"code", "type": "error", "message"}`` in Chinese.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from rest_framework import authentication, permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cityrenew.core import audit
from cityrenew.core.auth import ExpiringTokenAuthentication
from cityrenew.core.choices import AuditSource
from cityrenew.core.permissions import can_edit_any, can_edit_regions

from ..keys import DeviceKeyAuthentication
from ..models import Datastream, Device, Observation
from .query import DEFAULT_TOP, Options, QueryError, apply_filter, apply_orderby, parse_options
from .resources import SETS, EntitySet, to_json
from .writes import WriteError, create, observe, patch, reading_from

SEGMENT = re.compile(r"([A-Za-z]+)(?:\((\d+)\))?")
CONFORMANCE = [
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-observations-via-mqtt/observations-creation",
]


class StaError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error(status: int, message: str) -> Response:
    return Response({"code": status, "type": "error", "message": message}, status=status)


class Target:  # 解析后的资源路径
    def __init__(self, s: EntitySet, qs: QuerySet | None, obj: Any, parent: Any, nav: str) -> None:
        self.set, self.qs, self.obj, self.parent, self.nav = s, qs, obj, parent, nav


def resolve(path: str) -> Target:
    parts = [p for p in path.strip("/").split("/") if p]
    m = SEGMENT.fullmatch(parts[0])
    if not m or m.group(1) not in SETS:
        raise StaError(404, f"资源“{parts[0]}”不存在（可用：{'、'.join(SETS)}）")
    s = SETS[m.group(1)]
    obj, qs, parent, nav = None, s.queryset(), None, ""
    if m.group(2):
        obj = qs.filter(pk=int(m.group(2))).first()
        if obj is None:
            raise StaError(404, f"{s.singular} {m.group(2)} 不存在")
        qs = None
    for part in parts[1:]:
        m = SEGMENT.fullmatch(part)
        if obj is None or not m or m.group(1) not in s.navs:
            raise StaError(404, f"路径“{path}”无法解析：{s.name} 没有“{part}”" if obj is not None else f"路径“{path}”须先指明实体编号")
        link = s.navs[m.group(1)]
        parent, nav = obj, m.group(1)
        target = SETS[link.target]
        found = target.queryset().filter(**link.lookup(obj))
        s = target
        if link.many and not m.group(2):
            obj, qs = None, found
            continue
        obj = found.filter(pk=int(m.group(2))).first() if m.group(2) else found.first()
        qs = None
        if obj is None:
            raise StaError(404, f"{target.singular} 不存在")
    return Target(s, qs, obj, parent, nav)


class StaPermission(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, Device) or bool(request.user and request.user.is_authenticated)


class SensorThingsView(APIView):
    authentication_classes = [DeviceKeyAuthentication, authentication.BasicAuthentication,
                              ExpiringTokenAuthentication, authentication.SessionAuthentication]
    permission_classes = [StaPermission]
    schema = None

    def handle_exception(self, exc):
        if isinstance(exc, StaError):
            return error(exc.status, str(exc))
        if isinstance(exc, (QueryError, WriteError)):
            return error(400, str(exc))
        response = super().handle_exception(exc)
        if response is not None and isinstance(response.data, dict) and "detail" in response.data:
            response.data = {"code": response.status_code, "type": "error", "message": str(response.data["detail"])}
        return response

    # -- helpers -------------------------------------------------------------------------------

    def base(self, request: Request) -> str:
        return request.build_absolute_uri("/api/sta/v1.1/")

    def _device(self, request: Request) -> Device | None:
        return request.auth if isinstance(request.auth, Device) else None

    def _editor(self, request: Request, obj: Any = None) -> None:
        if self._device(request) is not None:
            raise StaError(403, "设备密钥只能用于报送本设备数据流的观测数据")
        if not can_edit_any(request.user):
            raise StaError(403, "您没有修改监测设备数据的权限（需要市级管理员或区级编辑）")
        device = obj if isinstance(obj, Device) else getattr(obj, "device", None)
        if device is not None and device.district_id and not can_edit_regions(request.user, [device.district_id]):
            raise StaError(403, f"设备 {device.code} 不在您可编辑的区划内")

    def _actor(self, request: Request):
        device = self._device(request)
        user = None if device else request.user
        return audit.actor(user, AuditSource.API, note=f"设备 {device.code}" if device else "")

    def expand(self, base: str, s: EntitySet, obj: Any, opts: Options) -> dict[str, Any]:
        out = to_json(base, s, obj, opts.select)
        for name, sub in opts.expand:
            link = s.navs.get(name)
            if link is None:
                raise QueryError(f"$expand：{s.name} 没有导航属性“{name}”（可用：{'、'.join(s.navs)}）")
            target = SETS[link.target]
            qs = target.queryset().filter(**link.lookup(obj))
            if link.many:
                rows, _, _ = self.page(qs, target, sub)
                out[name] = [self.expand(base, target, o, sub) for o in rows]
            else:
                one = qs.first()
                out[name] = self.expand(base, target, one, sub) if one is not None else None
        return out

    def page(self, qs: QuerySet, s: EntitySet, opts: Options) -> tuple[list[Any], int | None, bool]:
        if opts.filter:
            qs = apply_filter(qs, s, opts.filter)
        qs = apply_orderby(qs, s, opts.orderby) if opts.orderby else qs.order_by("id")
        count = qs.count() if opts.count else None
        top = DEFAULT_TOP if opts.top is None else opts.top
        rows = list(qs[opts.skip: opts.skip + top + 1])
        return rows[:top], count, len(rows) > top

    # -- GET -----------------------------------------------------------------------------------

    def get(self, request: Request, path: str = "") -> Response:
        if self._device(request) is not None:
            raise StaError(403, "设备密钥只能用于报送本设备数据流的观测数据")
        base = self.base(request)
        if not path.strip("/"):
            return Response({
                "value": [{"name": name, "url": f"{base}{name}"} for name in SETS],
                "serverSettings": {"conformance": CONFORMANCE},
            })
        target = resolve(path)
        opts = parse_options({k: v for k, v in request.query_params.items()})
        if target.obj is not None:
            return Response(self.expand(base, target.set, target.obj, opts))
        rows, count, more = self.page(target.qs, target.set, opts)
        body: dict[str, Any] = {}
        if count is not None:
            body["@iot.count"] = count
        if more:
            params = dict(request.query_params.items())
            params["$skip"] = str(opts.skip + len(rows))
            params["$top"] = str(DEFAULT_TOP if opts.top is None else opts.top)
            body["@iot.nextLink"] = request.build_absolute_uri(request.path) + "?" + urlencode(params)
        body["value"] = [self.expand(base, target.set, o, opts) for o in rows]
        return Response(body)

    # -- POST ----------------------------------------------------------------------------------

    def post(self, request: Request, path: str = "") -> Response:
        base = self.base(request)
        clean = path.strip("/")
        device = self._device(request)
        if clean == "CreateObservations":
            return self.create_observations(request, base)
        target = resolve(clean) if clean else None
        if target is None or target.obj is not None:
            raise StaError(405, "只能向实体集合 POST（如 Things、Datastreams(1)/Observations）")
        if target.set.name == "Observations":
            ds = target.parent if isinstance(target.parent, Datastream) else None
            if device is None and not can_edit_any(request.user):
                raise StaError(403, "您没有报送观测数据的权限")
            with self._actor(request):
                result = observe(ds, [request.data], source="api", device=device, return_ids=True)
            obs = Observation.objects.get(pk=result.ids[0])
            return Response(to_json(base, SETS["Observations"], obs), status=201,
                            headers={"Location": f"{base}Observations({obs.pk})"})
        self._editor(request)
        data = request.data
        if target.parent is not None:  # e.g. Things(1)/Datastreams: link the new entity to the parent
            data = dict(data) if isinstance(data, dict) else data
            if isinstance(data, dict) and target.set.name == "Datastreams" and isinstance(target.parent, Device):
                data["Thing"] = {"@iot.id": target.parent.pk}
            elif isinstance(data, dict) and target.set.name == "Locations" and isinstance(target.parent, Device):
                data["Things"] = [{"@iot.id": target.parent.pk}]
            else:
                raise StaError(405, f"不支持通过 {target.nav} 路径新建实体，请 POST 到 {target.set.name}")
        with self._actor(request):
            obj = create(target.set.name, data)
        return Response(to_json(base, target.set, obj), status=201,
                        headers={"Location": f"{base}{target.set.name}({obj.pk})"})

    def create_observations(self, request: Request, base: str) -> Response:
        """The dataArray extension: ``[{"Datastream": {"@iot.id": n}, "components": [...], "dataArray": [[…]]}]``.
        All readings are stored or none (the standard allows per-row errors; a half-stored batch is worse)."""
        device = self._device(request)
        if device is None and not can_edit_any(request.user):
            raise StaError(403, "您没有报送观测数据的权限")
        if not isinstance(request.data, list):
            raise WriteError("CreateObservations 的内容必须是数组")
        items = []
        for group in request.data:
            if not isinstance(group, dict) or not isinstance(group.get("components"), list) \
                    or not isinstance(group.get("dataArray"), list):
                raise WriteError("CreateObservations 的每一项须含 Datastream、components、dataArray")
            comps = group["components"]
            if "phenomenonTime" not in comps or "result" not in comps:
                raise WriteError("components 须包含 phenomenonTime 和 result")
            for row in group["dataArray"]:
                if not isinstance(row, list) or len(row) != len(comps):
                    raise WriteError(f"dataArray 的每一行须有 {len(comps)} 个值，与 components 对应")
                item = {k: v for k, v in zip(comps, row) if k in ("phenomenonTime", "result", "resultTime")}
                item["Datastream"] = group.get("Datastream")
                items.append(item)
        if not items:
            raise WriteError("dataArray 中没有观测数据")
        with self._actor(request):
            result = observe(None, items, source="api", device=device, return_ids=True)
        return Response([f"{base}Observations({i})" for i in result.ids], status=201)

    # -- PATCH / DELETE ------------------------------------------------------------------------

    def patch(self, request: Request, path: str = "") -> Response:
        target = resolve(path)
        if target.obj is None:
            raise StaError(405, "PATCH 须指明单个实体，如 Things(1)")
        if target.set.name == "Observations":
            raise StaError(405, "观测数据只增不改：读数不能修改（如有错误请报送更正读数并在设备记录中说明）")
        self._editor(request, target.obj)
        with self._actor(request):
            obj = patch(target.set.name, target.obj, request.data)
        return Response(to_json(self.base(request), target.set, obj))

    def delete(self, request: Request, path: str = "") -> Response:
        target = resolve(path)
        if target.obj is None:
            raise StaError(405, "DELETE 须指明单个实体，如 Things(1)")
        if target.set.name == "Observations":
            raise StaError(405, "观测数据只增不改：读数不能删除")
        self._editor(request, target.obj)
        if target.set.name in ("Sensors", "ObservedProperties") and target.obj.datastreams.exists():
            raise StaError(409, f"{target.set.singular} {target.obj.pk} 仍被数据流使用，不能删除")
        with self._actor(request):
            target.obj.delete()
        return Response(status=200)

"""The layer registry of the one map (一张图): every app registers the layers it puts on the map.

Each app declares its layers in ``<app>/maplayers.py`` with :func:`register` (autodiscovered by
``MapConfig.ready``). A :class:`Layer` says which records it shows (a queryset *filtered by what the
user may read*), which geometry column, the properties a popup and a tile carry, the filters it
accepts, and how it is drawn (style and legend). ``/map/layers.json`` lists the layers a user may see;
small layers are served as GeoJSON, large ones as vector tiles (``/map/tiles/<layer>/<z>/<x>/<y>.mvt``)
from the database, with the same read permission.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

GEOJSON = "geojson"
MVT = "mvt"

# filter name → label shown on the map page; a layer lists the ones it accepts in ``filters``
FILTERS = {"district": "区县", "year": "年份", "status": "状态", "category": "类型", "run": "体检", "indicator": "指标"}


@dataclass
class Layer:
    name: str                      # URL-safe identifier, unique: "projects", "checkup-units" …
    title: str                     # Chinese title shown in the layer list
    group: str                     # layer-list group: "基础" / "项目库" / "城市体检" / "台账" …
    kind: str                      # GEOJSON or MVT
    queryset: Callable[[Any], QuerySet]  # request → the records this user may read (permissions applied)
    geom_field: str = "geom"       # the geometry column
    geometry: str = "polygon"      # "polygon" | "point" | "line" | "mixed": how the page draws it
    # properties carried by every feature: {output name: ORM path, query expression or callable(obj)};
    # "name" and "url" expected. Vector tiles carry only the paths and expressions (they are computed in
    # the database); callables are for GeoJSON layers.
    properties: dict[str, Any] = field(default_factory=dict)
    popup: list[tuple[str, str]] = field(default_factory=list)  # [(property, Chinese label)] for the popup
    filters: dict[str, Callable[[QuerySet, str], QuerySet]] = field(default_factory=dict)  # name → (qs, value) → qs
    # name → request → [(value, label)]: the choices the page offers for a filter (free text when absent)
    filter_options: dict[str, Callable[[Any], list[tuple[str, str]]]] = field(default_factory=dict)
    search: tuple[str, ...] = ()   # ORM fields searched by /map/search (icontains)
    style: dict[str, Any] = field(default_factory=dict)   # {"colour_by": prop, "colours": {value: "#hex"}, "colour": "#hex"}
    legend: list[dict[str, str]] = field(default_factory=list)  # [{"label": …, "colour": …}]
    minzoom: int = 0
    visible: bool = False          # switched on when the page opens
    citation: str = ""             # the policy the layer answers to, shown in the layer list
    order: int = 100
    # request → may this user see the layer at all (its records are still scoped by ``queryset``)
    readable: Callable[[Any], bool] | None = None

    def can_read(self, request: Any) -> bool:
        return self.readable is None or bool(self.readable(request))

    def filtered(self, request: Any, params: Any = None) -> QuerySet:
        """The layer's records for ``request`` with the filters of ``params`` (the query string) applied.

        A filter value that does not fit (a year that is not a number) raises ``ValueError`` with a
        Chinese message; an empty value is no filter.
        """
        params = request.GET if params is None else params
        qs = self.queryset(request)
        for name, apply in self.filters.items():
            value = (params.get(name) or "").strip()
            if value:
                qs = apply(qs, value)
        return qs


_LAYERS: dict[str, Layer] = {}
# callables returning extra layers read at request time (one per ReferenceLayer row, …)
_DYNAMIC: list[Callable[[], list[Layer]]] = []


def register(layer: Layer) -> Layer:
    if layer.name in _LAYERS and _LAYERS[layer.name] is not layer:
        raise ValueError(f"map layer {layer.name!r} is registered twice")
    _LAYERS[layer.name] = layer
    return layer


def unregister(name: str) -> None:
    _LAYERS.pop(name, None)


def register_dynamic(provider: Callable[[], list[Layer]]) -> Callable[[], list[Layer]]:
    """Register ``provider``: called on every listing, it returns layers that come from data (one per
    reference layer row …). Static layers win a name clash. Usable as a decorator."""
    if provider not in _DYNAMIC:
        _DYNAMIC.append(provider)
    return provider


def _dynamic_layers() -> list[Layer]:
    layers: list[Layer] = []
    for provider in _DYNAMIC:
        layers.extend(l for l in provider() if l.name not in _LAYERS)
    return layers


def get(name: str) -> Layer | None:
    layer = _LAYERS.get(name)
    if layer is None:
        layer = next((l for l in _dynamic_layers() if l.name == name), None)
    return layer


def all_layers() -> list[Layer]:
    return sorted([*_LAYERS.values(), *_dynamic_layers()], key=lambda l: (l.order, l.name))

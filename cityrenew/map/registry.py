"""The layer registry of the one map (一张图): every app registers the layers it puts on the map.

Each app declares its layers in ``<app>/maplayers.py`` with :func:`register` (autodiscovered by
``MapConfig.ready``). A :class:`Layer` says which records it shows (a queryset *filtered by what the
user may read*), which geometry column, the properties a popup and a tile carry, the filters it
accepts, and how it is drawn (style and legend). ``/map/layers.json`` lists the layers a user may see;
small layers are served as GeoJSON, large ones as vector tiles (``/map/tiles/<layer>/<z>/<x>/<y>.mvt``)
from the database, with the same read permission.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from django.db.models import QuerySet

GEOJSON = "geojson"
MVT = "mvt"

# filter name → label shown on the map page; a layer lists the ones it accepts in ``filters``
FILTERS = {"district": "区县", "year": "年份", "status": "状态", "category": "类型", "run": "体检"}


@dataclass
class Layer:
    name: str                      # URL-safe identifier, unique: "projects", "checkup-units" …
    title: str                     # Chinese title shown in the layer list
    group: str                     # layer-list group: "基础" / "项目库" / "城市体检" / "台账" …
    kind: str                      # GEOJSON or MVT
    queryset: Callable[[Any], QuerySet]  # request → the records this user may read (permissions applied)
    geom_field: str = "geom"       # the geometry column
    geometry: str = "polygon"      # "polygon" | "point" | "line" | "mixed": how the page draws it
    # properties carried by every feature: {output name: ORM path or callable(obj)}; "name" and "url" expected
    properties: dict[str, Any] = field(default_factory=dict)
    popup: list[tuple[str, str]] = field(default_factory=list)  # [(property, Chinese label)] for the popup
    filters: dict[str, Callable[[QuerySet, str], QuerySet]] = field(default_factory=dict)  # name → (qs, value) → qs
    search: tuple[str, ...] = ()   # ORM fields searched by /map/search (icontains)
    style: dict[str, Any] = field(default_factory=dict)   # {"colour_by": prop, "colours": {value: "#hex"}, "colour": "#hex"}
    legend: list[dict[str, str]] = field(default_factory=list)  # [{"label": …, "colour": …}]
    minzoom: int = 0
    visible: bool = False          # switched on when the page opens
    citation: str = ""             # the policy the layer answers to, shown in the layer list
    order: int = 100


_LAYERS: dict[str, Layer] = {}


def register(layer: Layer) -> Layer:
    if layer.name in _LAYERS and _LAYERS[layer.name] is not layer:
        raise ValueError(f"map layer {layer.name!r} is registered twice")
    _LAYERS[layer.name] = layer
    return layer


def unregister(name: str) -> None:
    _LAYERS.pop(name, None)


def get(name: str) -> Layer | None:
    return _LAYERS.get(name)


def all_layers() -> list[Layer]:
    return sorted(_LAYERS.values(), key=lambda l: (l.order, l.name))

"""The base map (底图) of the one map, from settings.

``CITYRENEW_BASEMAP``:

* ``offline`` (default): drawn from data the system holds — the reference layers marked ``basemap``
  (roads, water, buildings from an OSM extract, boundaries), served as vector tiles and listed in
  ``/map/layers.json`` in the group “底图”;
* ``tianditu``: 天地图 WMTS (``vec_w`` streets + ``cva_w`` labels, Web Mercator) with the city's key
  ``CITYRENEW_TIANDITU_KEY``; without a key the offline base map is used and the page says why;
* any XYZ tile URL template (``https://…/{z}/{x}/{y}.png``).

``CITYRENEW_BASEMAP_ATTRIBUTION`` overrides the attribution line.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

TIANDITU_WMTS = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}"
    "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
TIANDITU_ATTRIBUTION = "© 天地图（国家地理信息公共服务平台）"
OSM_ATTRIBUTION = "© OpenStreetMap 贡献者（ODbL）"
BASEMAP_GROUP = "底图"


def offline_layers() -> list[Any]:
    from .models import ReferenceLayer

    return list(ReferenceLayer.objects.filter(basemap=True).order_by("kind", "name"))


def basemap_config() -> dict[str, Any]:
    """What ``/map/layers.json`` says about the base map (``kind``, ``url``/``tiles``/``key``, ``attribution``)."""
    setting = (getattr(settings, "CITYRENEW_BASEMAP", "") or "offline").strip()
    attribution = getattr(settings, "CITYRENEW_BASEMAP_ATTRIBUTION", "")
    key = getattr(settings, "CITYRENEW_TIANDITU_KEY", "")
    if setting == "tianditu" and key:
        # two raster sources drawn in order: streets (vec_w), then the Chinese labels (cva_w)
        tiles = [TIANDITU_WMTS.format(s=0, layer=layer, key=key) for layer in ("vec", "cva")]
        return {"kind": "tianditu", "url": tiles[0], "tiles": tiles, "key": key,
                "attribution": attribution or TIANDITU_ATTRIBUTION}
    if setting.startswith(("http://", "https://")):
        return {"kind": "xyz", "url": setting, "tiles": [setting], "attribution": attribution}
    refs = offline_layers()
    licences = sorted({r.licence for r in refs if r.licence})
    config: dict[str, Any] = {
        "kind": "offline",
        "tiles": [],
        "layers": [f"ref-{r.name}" for r in refs],
        "attribution": attribution or ("；".join(
            OSM_ATTRIBUTION if "ODbL" in lic or "OpenStreetMap" in lic else lic for lic in licences)),
    }
    if setting == "tianditu":
        config["warning"] = "未设置 CITYRENEW_TIANDITU_KEY（天地图密钥），已改用离线底图"
    elif setting != "offline":
        config["warning"] = f"无法识别的底图设置 CITYRENEW_BASEMAP={setting}，已改用离线底图"
    return config

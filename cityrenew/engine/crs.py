"""Coordinate reference systems (坐标系): WGS84, CGCS2000 and its Gauss-Krüger zones, GCJ-02.

* WGS84 (EPSG:4326) is what OpenStreetMap and GPS use.
* CGCS2000 (EPSG:4490, 2000国家大地坐标系) differs from WGS84 by a few centimetres; at the scale of a
  service radius the two are treated as identical (pyproj's ballpark transformation does the same).
* The 3-degree Gauss-Krüger zones of CGCS2000 (3度带高斯-克吕格投影) have central meridians
  75°E, 78°E … 135°E; EPSG:4534–4554 ("CM …E", false easting 500 km) and EPSG:4513–4533 ("zone N",
  easting prefixed with the zone number). The engine computes in the CM zone nearest the city
  (:func:`metric_crs_for`); the scale error 1.5° from the central meridian is below 0.03 %, i.e.
  under 0.3 m per km of walk.
* GCJ-02 (国测局坐标, "Mars coordinates") is the obfuscated datum that Amap (高德) and Tencent (腾讯)
  POIs are published in, offset 100–700 m from WGS84 inside China. It has no EPSG code; it is
  converted to WGS84 with :func:`gcj02_to_wgs84` before anything else.

The GCJ-02 formula (public, as implemented in many open projects; written here from the maths)::

    a = 6378245.0 m, e² = 0.00669342162296594323       (Krasovsky 1940 ellipsoid)
    x = λ − 105, y = φ − 35                           (degrees)
    T_φ(x, y) = −100 + 2x + 3y + 0.2y² + 0.1xy + 0.2√|x|
                + (20 sin 6πx + 20 sin 2πx)·2/3 + (20 sin πy + 40 sin(πy/3))·2/3
                + (160 sin(πy/12) + 320 sin(πy/30))·2/3
    T_λ(x, y) = 300 + x + 2y + 0.1x² + 0.1xy + 0.1√|x|
                + (20 sin 6πx + 20 sin 2πx)·2/3 + (20 sin πx + 40 sin(πx/3))·2/3
                + (150 sin(πx/12) + 300 sin(πx/30))·2/3
    W = 1 − e² sin² φ
    Δφ = T_φ · 180 / (π · a(1 − e²) / W^{3/2})          (degrees; T in metres on the ellipsoid)
    Δλ = T_λ · 180 / (π · a / √W · cos φ)
    GCJ = (λ + Δλ, φ + Δφ)   inside China's bounding box, unchanged outside it.

The inverse has no closed form; :func:`gcj02_to_wgs84` solves it by fixed-point iteration
(w ← w − (f(w) − g)), which converges to < 1e-9° (0.1 mm) in a few steps because the offset
field is smooth.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

WGS84 = "EPSG:4326"
CGCS2000 = "EPSG:4490"
GCJ02 = "GCJ-02"

_A = 6378245.0
_EE = 0.00669342162296594323
# The bounding box that GCJ-02 implementations conventionally treat as "China".
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)


class CRSInputError(ValueError):
    """A coordinate reference system could not be understood (Chinese message)."""


def _t_lat(x: NDArray, y: NDArray) -> NDArray:
    pi = np.pi
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    r += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    return r


def _t_lon(x: NDArray, y: NDArray) -> NDArray:
    pi = np.pi
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    r += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    return r


def in_china_box(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where (lon, lat) in degrees lies in the box GCJ-02 is applied to."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (
        (lon >= _CHINA_LON[0]) & (lon <= _CHINA_LON[1]) & (lat >= _CHINA_LAT[0]) & (lat <= _CHINA_LAT[1])
    )


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """WGS84 → GCJ-02, degrees in and out (arrays or scalars); points outside China unchanged."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    x, y = lon - 105.0, lat - 35.0
    dlat = _t_lat(x, y)
    dlon = _t_lon(x, y)
    radlat = np.radians(lat)
    w = 1.0 - _EE * np.sin(radlat) ** 2
    sw = np.sqrt(w)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (w * sw) * np.pi)
    dlon = dlon * 180.0 / (_A / sw * np.cos(radlat) * np.pi)
    inside = in_china_box(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10) -> tuple[NDArray, NDArray]:
    """GCJ-02 → WGS84, degrees in and out, by fixed-point iteration of :func:`wgs84_to_gcj02`.

    The result maps back onto the input to better than ``tol_deg`` (1e-10° ≈ 0.01 mm).
    """
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(30):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = flon - glon, flat - glat
        wlon = wlon - elon
        wlat = wlat - elat
        if np.all(np.abs(elon) < tol_deg) and np.all(np.abs(elat) < tol_deg):
            break
    return wlon, wlat


def parse_crs(value: str | int | CRS | None) -> str:
    """Normalise a user-supplied CRS to ``"EPSG:nnnn"``, ``"GCJ-02"`` or a WKT string.

    Accepts ``wgs84``, ``cgcs2000``, ``gcj02`` (also ``gcj-02``, ``amap``, ``高德``, ``火星``),
    ``EPSG:4545``, ``4545`` and anything else pyproj understands. Raises :class:`CRSInputError`
    with a Chinese message when the text is not a coordinate reference system.
    """
    if value is None:
        raise CRSInputError("未指定坐标系")
    if isinstance(value, CRS):
        epsg = value.to_epsg()
        return f"EPSG:{epsg}" if epsg else value.to_wkt()
    text = str(value).strip()
    low = text.lower().replace("_", "").replace(" ", "")
    if low in ("wgs84", "wgs-84", "epsg:4326", "4326"):
        return WGS84
    if low in ("cgcs2000", "epsg:4490", "4490"):
        return CGCS2000
    if low in ("gcj02", "gcj-02", "amap", "gaode", "tencent", "高德", "腾讯", "火星", "火星坐标"):
        return GCJ02
    if low in ("bd09", "bd-09", "baidu", "百度"):
        raise CRSInputError("暂不支持百度BD-09坐标；请先转换为GCJ-02或WGS84（BD-09 is not supported）")
    try:
        crs = CRS.from_user_input(int(text) if text.isdigit() else text)
    except (CRSError, ValueError, TypeError):
        raise CRSInputError(
            f"无法识别的坐标系“{text}”。可用：wgs84、cgcs2000、gcj02、EPSG代码（如 EPSG:4545）"
            f"（unknown CRS {text!r})"
        ) from None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def metric_crs_for(lon: float, lat: float) -> str:
    """The CGCS2000 3-degree Gauss-Krüger CM zone (EPSG:4534–4554) nearest a point in degrees.

    Outside China's longitudes (75°E–135°E ± 1.5°) the UTM zone of WGS84 is returned instead.
    """
    cm = 3 * int(round(lon / 3.0))
    if 75 <= cm <= 135 and 0 < lat < 56:
        return f"EPSG:{4534 + (cm - 75) // 3}"
    zone = int((lon + 180.0) // 6) % 60 + 1
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def is_geographic(crs: str) -> bool:
    """True for longitude/latitude systems (including GCJ-02)."""
    if crs == GCJ02:
        return True
    return CRS.from_user_input(crs).is_geographic


def to_metric(x: ArrayLike, y: ArrayLike, src_crs: str, dst_crs: str) -> tuple[NDArray, NDArray]:
    """Transform coordinates from ``src_crs`` (any accepted CRS incl. GCJ-02) to ``dst_crs`` (metres).

    GCJ-02 input is first converted to WGS84 degrees. Returns float64 arrays in ``dst_crs`` units.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if src_crs == GCJ02:
        x, y = gcj02_to_wgs84(x, y)
        src_crs = WGS84
    if src_crs == dst_crs:
        return x.copy(), y.copy()
    tr = Transformer.from_crs(src_crs, dst_crs, always_xy=True)
    ox, oy = tr.transform(x, y)
    return np.asarray(ox, dtype=float), np.asarray(oy, dtype=float)


def to_lonlat(x: ArrayLike, y: ArrayLike, src_crs: str) -> tuple[NDArray, NDArray]:
    """Transform coordinates to WGS84 longitude/latitude in degrees."""
    return to_metric(x, y, src_crs, WGS84)

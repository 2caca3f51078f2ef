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
    GCJ = (λ + Δλ, φ + Δφ)   inside China, unchanged outside it.

"Inside China" is a real outline (``data/china_outline.geojson``: Natural Earth 1:110m China and
Taiwan, public domain, buffered 0.3°; see ``data/README.md``), not the bounding box many
implementations use (72.004–137.8347°E, 0.8293–55.8271°N), which holds Seoul, Osaka and Hanoi
and would shift their points by 180–545 m.

The inverse has no closed form; :func:`gcj02_to_wgs84` solves it by fixed-point iteration
(w ← w − (f(w) − g)), which converges to < 1e-9° (0.1 mm) in a few steps because the offset
field is smooth.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

WGS84 = "EPSG:4326"
CGCS2000 = "EPSG:4490"
GCJ02 = "GCJ-02"

_A = 6378245.0
_EE = 0.00669342162296594323
# The bounding box that GCJ-02 implementations conventionally treat as "China": a quick pre-filter
# before the outline test.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)
CHINA_OUTLINE = Path(__file__).resolve().parent / "data" / "china_outline.geojson"


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
    """True where (lon, lat) in degrees lies in China's bounding box (a pre-filter; see :func:`in_china`)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (
        (lon >= _CHINA_LON[0]) & (lon <= _CHINA_LON[1]) & (lat >= _CHINA_LAT[0]) & (lat <= _CHINA_LAT[1])
    )


@lru_cache(maxsize=1)
def china_outline() -> shapely.Geometry:
    """China's outline in WGS84 degrees (``data/china_outline.geojson``), prepared for point tests."""
    import json

    data = json.loads(CHINA_OUTLINE.read_text(encoding="utf-8"))
    geom = shapely.union_all([shapely.from_geojson(json.dumps(f["geometry"])) for f in data["features"]])
    shapely.prepare(geom)
    return geom


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where (lon, lat) in degrees lies inside China's outline: where GCJ-02 applies."""
    lon, lat = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    flon, flat = lon.ravel(), lat.ravel()
    out = in_china_box(flon, flat)
    if out.any():
        out[out] = shapely.contains_xy(china_outline(), flon[out], flat[out])
    return out.reshape(lon.shape)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """WGS84 → GCJ-02, degrees in and out (arrays or scalars); points outside China unchanged."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return _shift(lon, lat, in_china(lon, lat))


def _shift(lon: NDArray, lat: NDArray, inside: NDArray[np.bool_]) -> tuple[NDArray, NDArray]:
    """The GCJ-02 offset applied where ``inside``."""
    x, y = lon - 105.0, lat - 35.0
    dlat = _t_lat(x, y)
    dlon = _t_lon(x, y)
    radlat = np.radians(lat)
    w = 1.0 - _EE * np.sin(radlat) ** 2
    sw = np.sqrt(w)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (w * sw) * np.pi)
    dlon = dlon * 180.0 / (_A / sw * np.cos(radlat) * np.pi)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10) -> tuple[NDArray, NDArray]:
    """GCJ-02 → WGS84, degrees in and out, by fixed-point iteration of :func:`wgs84_to_gcj02`.

    The result maps back onto the input to better than ``tol_deg`` (1e-10° ≈ 0.01 mm). Points
    outside China's outline (judged on the input) are returned unchanged.
    """
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    inside = in_china(glon, glat)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(30):
        flon, flat = _shift(wlon, wlat, inside)
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


def _examples(rows: NDArray[np.int64], lon: NDArray, lat: NDArray, k: int = 3) -> str:
    return "、".join(f"第{int(r) + 1}个要素 ({lo:.5f}, {la:.5f})" for r, lo, la in zip(rows[:k], lon[:k], lat[:k]))


def check_coordinates(
    x: ArrayLike,
    y: ArrayLike,
    crs: str,
    *,
    what: str,
    reference: tuple[float, float, float, float] | None = None,
) -> list[str]:
    """Check one coordinate per feature (``x``, ``y`` in ``crs``) against the stated CRS; return
    Chinese warnings, raise :class:`CRSInputError` when the coordinates cannot be what is stated.

    * Geographic CRS (WGS84, CGCS2000, GCJ-02), all values below 90: longitude and latitude swapped
      is refused when the swapped points fall (≥ 50 %) inside ``reference`` (lon/lat bounds of the
      walking network, ± 0.1°) — or, without a reference, inside China's outline — while the points
      as given do not (< 10 %). Values beyond ±180/±90 are refused as projected coordinates.
    * GCJ-02: points outside China's outline are not shifted (GCJ-02 is not applied there); a
      warning names them.
    * Projected CRS: points (transformed to lon/lat) outside the CRS's area of use (± 1°) are
      refused when most are outside, else named in a warning.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    rows = np.flatnonzero(ok)
    x, y = x[ok], y[ok]
    n = x.size
    if n == 0:
        return []
    out: list[str] = []
    if is_geographic(crs):
        if (np.abs(y) > 90).any() and (np.abs(x) <= 90).all() and (np.abs(y) <= 180).all():
            raise CRSInputError(
                f"{what}的纬度超过90°而经度都在±90°内（如 {_examples(rows, x, y, 2)}）：经度、纬度疑似颠倒。"
                "请检查经纬度列的对应关系（CSV 可用 --lon-col/--lat-col 指定）（longitude/latitude swapped）"
            )
        if (np.abs(x) > 180).any() or (np.abs(y) > 90).any():
            raise CRSInputError(
                f"{what}的坐标超出经纬度范围（如 {_examples(rows, x, y, 2)}），像是投影坐标而不是所声明的 {crs}；"
                "请用 --*-crs 指定正确的坐标系（如 EPSG:4545）（coordinates outside the stated CRS）"
            )
        if (np.abs(x) < 90).all():
            if reference is not None:
                x0, y0, x1, y1 = reference
                def near(lo: NDArray, la: NDArray) -> NDArray:
                    return (lo >= x0 - 0.1) & (lo <= x1 + 0.1) & (la >= y0 - 0.1) & (la <= y1 + 0.1)
                where = "步行路网范围内"
            else:
                near = in_china
                where = "中国境内"
            given, swapped = float(near(x, y).mean()), float(near(y, x).mean())
            if swapped >= 0.5 and given < 0.1:
                raise CRSInputError(
                    f"{what}的经度、纬度疑似颠倒：按给出的顺序只有 {given:.0%} 的点在{where}，交换后有 {swapped:.0%}"
                    f"（如 {_examples(rows, x, y, 2)}）。请检查经纬度列的对应关系（CSV 可用 --lon-col/--lat-col 指定）"
                    "（longitude/latitude swapped）"
                )
        if crs == GCJ02:
            inside = in_china(x, y)
            if not inside.all():
                k = int((~inside).sum())
                out.append(
                    f"{what}中有 {k} 个要素位于中国境外（{_examples(rows[~inside], x[~inside], y[~inside])}），"
                    "GCJ-02 只在中国境内使用，这些点未做纠偏，按 WGS84 处理（points outside China are not shifted）"
                )
        return out
    area = CRS.from_user_input(crs).area_of_use
    if area is None:
        return out
    lon, lat = to_lonlat(x, y, crs)
    w, s, e, nth = area.bounds
    inside = (lon >= w - 1) & (lon <= e + 1) & (lat >= s - 1) & (lat <= nth + 1)
    if inside.all():
        return out
    k = int((~inside).sum())
    looks_deg = bool((np.abs(x) <= 180).all() and (np.abs(y) <= 90).all())
    hint = "；数值像经纬度，请用 wgs84 或 gcj02" if looks_deg else ""
    msg = (
        f"{what}中 {k}/{n} 个要素不在所声明坐标系 {crs}（{area.name}，经度 {w:.1f}–{e:.1f}°，纬度 {s:.1f}–{nth:.1f}°）"
        f"的适用范围内（如 {_examples(rows[~inside], x[~inside], y[~inside])}）{hint}"
    )
    if k > n / 2:
        raise CRSInputError(msg + "。请用 --*-crs 指定正确的坐标系（coordinates outside the stated CRS）")
    out.append(msg + "（coordinates outside the stated CRS's area of use）")
    return out

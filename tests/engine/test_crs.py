"""CRS handling: GCJ-02 against published pairs, its inverse, Gauss-Krüger zone choice."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from cityrenew.engine import crs


def test_wgs84_to_gcj02_matches_published_pair_beijing():
    # Reference pair from hutool's CoordinateUtilTest (which cites wandergis/coordtransform):
    # WGS84 (116.404, 39.915) -> GCJ-02 (116.41024449916938, 39.91640428150164)
    lon, lat = crs.wgs84_to_gcj02(116.404, 39.915)
    assert float(lon) == pytest.approx(116.41024449916938, abs=1e-9)
    assert float(lat) == pytest.approx(39.91640428150164, abs=1e-9)


def test_wgs84_to_gcj02_matches_second_published_pair():
    # geoToolbox test vector: WGS84 (40.0 N, 116.0 E) -> GCJ-02 (40.001213650174, 116.006141221789);
    # its author rounds to 1e-7 deg (1 cm).
    lon, lat = crs.wgs84_to_gcj02(116.0, 40.0)
    assert float(lon) == pytest.approx(116.006141221789, abs=1e-6)
    assert float(lat) == pytest.approx(40.001213650174, abs=1e-6)


def test_gcj02_to_wgs84_close_to_published_one_step_inverse():
    # hutool's gcj02ToWgs84(116.404, 39.915) = (116.39775550083061, 39.91359571849836) is the
    # one-step approximation 2g - f(g); ours iterates to the exact inverse, within ~1 m of it.
    lon, lat = crs.gcj02_to_wgs84(116.404, 39.915)
    g = Geod(ellps="WGS84")
    _, _, dist = g.inv(float(lon), float(lat), 116.39775550083061, 39.91359571849836)
    assert dist < 1.0
    flon, flat = crs.wgs84_to_gcj02(lon, lat)
    assert float(flon) == pytest.approx(116.404, abs=1e-9)
    assert float(flat) == pytest.approx(39.915, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.floats(73.0, 135.0), st.floats(18.0, 53.0))
def test_gcj_round_trip_inside_china(lon, lat):
    # GCJ-02 applies inside China's outline, not its bounding box (see test_robust_input.py)
    assume(bool(crs.in_china(lon, lat)))
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    assume(bool(crs.in_china(glon, glat)))  # not within a few hundred metres of the outline
    # the offset is real (tens to hundreds of metres) ...
    _, _, off = Geod(ellps="WGS84").inv(lon, lat, float(glon), float(glat))
    assert 1.0 < off < 1200.0
    # ... and the inverse recovers the WGS84 point to better than a millimetre
    wlon, wlat = crs.gcj02_to_wgs84(glon, glat)
    _, _, err = Geod(ellps="WGS84").inv(lon, lat, float(wlon), float(wlat))
    assert err < 1e-3


def test_outside_china_is_unchanged():
    lon, lat = crs.wgs84_to_gcj02([2.35, -74.0], [48.85, 40.7])
    np.testing.assert_array_equal(lon, [2.35, -74.0])
    np.testing.assert_array_equal(lat, [48.85, 40.7])


@pytest.mark.parametrize(
    "lon,lat,epsg",
    [(104.06, 30.67, "EPSG:4544"), (116.40, 39.91, "EPSG:4548"), (113.65, 34.75, "EPSG:4547"), (121.47, 31.23, "EPSG:4549")],
)
def test_metric_crs_is_cgcs2000_3_degree_zone(lon, lat, epsg):
    assert crs.metric_crs_for(lon, lat) == epsg
    from pyproj import CRS

    assert "CGCS2000 / 3-degree Gauss-Kruger CM" in CRS.from_user_input(epsg).name


def test_gauss_kruger_distances_agree_with_geodesic_in_chengdu():
    # two points 5 km apart in Chengdu: projected length within 0.05 % of the ellipsoidal distance
    lon = np.array([104.03, 104.08])
    lat = np.array([30.66, 30.69])
    x, y = crs.to_metric(lon, lat, crs.WGS84, "EPSG:4544")
    planar = float(np.hypot(x[1] - x[0], y[1] - y[0]))
    _, _, geod = Geod(ellps="GRS80").inv(lon[0], lat[0], lon[1], lat[1])
    assert abs(planar - geod) / geod < 5e-4


def test_gcj02_input_is_converted_before_projection():
    wlon, wlat = 104.0665, 30.6574
    glon, glat = crs.wgs84_to_gcj02(wlon, wlat)
    x1, y1 = crs.to_metric([wlon], [wlat], crs.WGS84, "EPSG:4544")
    x2, y2 = crs.to_metric([glon], [glat], crs.GCJ02, "EPSG:4544")
    assert float(np.hypot(x1 - x2, y1 - y2)[0]) < 0.01


@pytest.mark.parametrize("text", ["EPSG:999999", "not-a-crs", "北京54坐标"])
def test_unknown_crs_gives_chinese_message(text):
    with pytest.raises(crs.CRSInputError, match="无法识别的坐标系"):
        crs.parse_crs(text)


def test_parse_crs_aliases():
    assert crs.parse_crs("wgs84") == "EPSG:4326"
    assert crs.parse_crs("CGCS2000") == "EPSG:4490"
    assert crs.parse_crs("gcj02") == crs.GCJ02
    assert crs.parse_crs("高德") == crs.GCJ02
    assert crs.parse_crs("4545") == "EPSG:4545"
    with pytest.raises(crs.CRSInputError, match="BD-09"):
        crs.parse_crs("bd09")

"""Spatial questions through /api/map/: region at a point, records within N metres (both sides of the
radius, the same on SpatiaLite and PostGIS), check-up units and problems inside a project's area."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from rest_framework.test import APIClient

from cityrenew.map import spatial

pytestmark = pytest.mark.django_db

# 1° of latitude on the sphere PostGIS and SpatiaLite use ≈ 111.2 km: a point 0.009° north is ≈ 1000.8 m away
NORTH_1KM = 0.009


@pytest.fixture
def api(viewer):
    client = APIClient()
    client.force_authenticate(viewer)
    return client


def test_region_at_endpoint(api, drawn):
    r = api.get("/api/map/region-at/", {"lon": 113.5999, "lat": 34.71})
    assert r.status_code == 200 and r.json()["region"]["code"] == "410102" and r.json()["region"]["name"] == "中原区"
    assert api.get("/api/map/region-at/", {"lon": 113.6001, "lat": 34.71}).json()["region"]["code"] == "410103"
    assert api.get("/api/map/region-at/", {"lon": 113.58, "lat": 34.78, "zones": "1"}).json()["region"]["display_name"] == "高新区"
    assert api.get("/api/map/region-at/", {"lon": 110, "lat": 30}).json() == {"region": None}
    r = api.get("/api/map/region-at/", {"lon": "东经113", "lat": 34.71})
    assert r.status_code == 400 and r.json()["lon"] == "经度应为数字（收到“东经113”）"
    assert api.get("/api/map/region-at/", {"lon": 113.6, "lat": 34.7, "level": "city"}).status_code == 400
    assert APIClient().get("/api/map/region-at/", {"lon": 113.6, "lat": 34.71}).status_code == 401


def test_within_on_both_sides_of_the_radius(projects):
    from cityrenew.projects.models import RenewalProject

    zy = projects["zy"].location  # 113.55, 34.72
    centre = Point(zy.x, zy.y - NORTH_1KM, srid=4326)
    d = spatial.distance_m(spatial.within(RenewalProject.objects.filter(pk=projects["zy"].pk), "location", centre, 2000)[0])
    assert 995 < d < 1006, d
    codes = lambda metres: [p.code for p in spatial.within(RenewalProject.objects.all(), "location", centre, metres)]
    assert "K202501001" not in codes(990)  # 1 % short of the distance
    assert "K202501001" in codes(1010)  # 1 % beyond it
    # the area project's edge (34.72°N) is as far as the point; its nearest edge counts, not its centre
    assert codes(1010) == ["K202501003", "K202501001"] or codes(1010) == ["K202501001", "K202501003"]
    with pytest.raises(spatial.SpatialError):
        spatial.within(RenewalProject.objects.all(), "location", centre, -1)


def test_near_endpoint(api, projects):
    zy = projects["zy"].location
    r = api.get("/api/map/near/", {"layer": "projects", "lon": zy.x, "lat": zy.y - NORTH_1KM, "radius": 1010})
    assert r.status_code == 200
    data = r.json()
    by_code = {x["properties"]["code"]: x for x in data["results"]}
    assert set(by_code) == {"K202501001", "K202501003"}
    assert 995 < by_code["K202501001"]["distance_m"] < 1006 and by_code["K202501001"]["url"] == "/projects/K202501001/"
    assert api.get("/api/map/near/", {"layer": "projects", "lon": zy.x, "lat": zy.y - NORTH_1KM, "radius": 990}).json()["count"] == 0
    # filters apply: only completed projects
    r = api.get("/api/map/near/", {"layer": "projects", "lon": zy.x, "lat": zy.y - NORTH_1KM, "radius": 1010, "status": "completed"})
    assert [x["properties"]["code"] for x in r.json()["results"]] == ["K202501003"]
    # near a record: 二七区's project is 0.1° (≈ 9.1 km) east of 中原区's
    r = api.get("/api/map/near/", {"layer": "projects", "record": projects["zy"].pk, "radius": 10000}).json()
    assert [x["properties"]["code"] for x in r["results"]][-1] == "K202501002"
    assert all(x["id"] != projects["zy"].pk for x in r["results"])
    assert api.get("/api/map/near/", {"layer": "nothing", "lon": 113, "lat": 34, "radius": 5}).status_code == 404
    r = api.get("/api/map/near/", {"layer": "projects", "lon": 113, "lat": 34, "radius": 60000})
    assert r.status_code == 400 and "距离应在" in r.json()["radius"]


def test_inside_a_project_area(api, projects, regions, city_admin):
    import io

    from checkup.conftest import UNIT_HEADERS, xlsx_bytes

    from cityrenew.checkup import services
    from cityrenew.checkup.catalogue import load_indicator_sets
    from cityrenew.checkup.models import AssessmentUnit
    from cityrenew.checkup.services.units import import_units_excel

    rows = [  # the area project covers 113.52–113.56 E, 34.72–34.76 N
        ("M-X01", "片区内小区", "小区", "伏牛路社区", "", 113.54, 34.74, 1990, 100),
        ("M-X02", "片区外小区", "小区", "伏牛路社区", "", 113.58, 34.74, 1990, 100),
    ]
    assert import_units_excel(io.BytesIO(xlsx_bytes(UNIT_HEADERS, rows)), regions["郑州市"], city_admin).ok
    run = services.create_run(regions["郑州市"], 2025, load_indicator_sets()["MOHURD-2025"], city_admin)
    ind = run.indicator_set.indicators.get(number=1)
    inside_unit, outside_unit = AssessmentUnit.objects.get(code="M-X01"), AssessmentUnit.objects.get(code="M-X02")
    p_in = services.record_problem(run, ind, inside_unit, city_admin, lon=113.559, lat=34.75)
    services.record_problem(run, ind, inside_unit, city_admin, lon=113.561, lat=34.75)  # just east of the area
    services.record_problem(run, ind, outside_unit, city_admin)
    r = api.get("/api/map/inside/", {"project": "K202501003"})
    assert r.status_code == 200
    data = r.json()
    assert [u["code"] for u in data["units"]] == ["M-X01"]
    assert [p["id"] for p in data["problems"]] == [p_in.pk]
    assert api.get("/api/map/inside/", {"project": "K202501003", "run": run.pk + 1}).json()["problems"] == []
    r = api.get("/api/map/inside/", {"project": "K202501001"})
    assert r.status_code == 400 and "位置是点" in r.json()["project"]
    assert api.get("/api/map/inside/", {"project": "K209901001"}).status_code == 404


def test_bulk_lookup_agrees_with_the_database_on_real_boundaries(regions):
    """regions_at (shapely, for imports of many rows) gives the database's answer (region_at) for random
    points over Zhengzhou's twelve district boundaries, inside, outside and between them."""
    import numpy as np

    from cityrenew.projects.boundaries import load_district_boundaries

    load_district_boundaries(regions["郑州市"])
    rng = np.random.default_rng(8)
    points = [tuple(p) for p in np.column_stack([rng.uniform(112.7, 114.2, 200), rng.uniform(34.2, 34.99, 200)])]
    bulk = spatial.regions_at(points)
    single = [getattr(spatial.region_at(p), "pk", None) for p in points]
    assert bulk == single
    assert 50 < sum(i is not None for i in bulk) < 180  # both inside and outside the drawn districts
    # 西流湖公园 lies in 中原区
    assert spatial.region_at((113.571, 34.776)).code == "410102"

"""Every registered layer answers on the demo's data (project library, district boundaries, check-up runs):
layers.json, each layer's GeoJSON, and a vector tile of the city centre."""

from __future__ import annotations

import mapbox_vector_tile
import pytest

pytestmark = pytest.mark.django_db

CENTRE_Z10 = (10, 835, 406)  # holds 郑州's centre (113.66°E, 34.75°N)


@pytest.fixture
def demo(regions, django_user_model):
    from cityrenew.checkup import demo as checkup_demo
    from cityrenew.projects import demo as project_demo
    from cityrenew.projects.boundaries import load_district_boundaries

    project_demo.load()
    load_district_boundaries(regions["郑州市"])
    django_user_model.objects.create_superuser("admin", password="pass-admin-1234")
    checkup_demo.load()


def test_every_layer_answers_on_the_demo(client, demo, viewer):
    client.force_login(viewer)
    data = client.get("/map/layers.json").json()
    names = {l["name"] for l in data["layers"]}
    assert {"districts", "projects", "checkup-units", "checkup-problems", "checkup-values"} <= names
    w, s, e, n = data["bounds"]
    assert w < 113.66 < e and s < 34.75 < n
    for layer in data["layers"]:
        url = layer["url"].format(z=CENTRE_Z10[0], x=CENTRE_Z10[1], y=CENTRE_Z10[2])
        r = client.get(url)
        assert r.status_code in (200, 204), (layer["name"], r.status_code)
        if layer["kind"] == "geojson":
            assert r.json()["type"] == "FeatureCollection"
        tile = client.get("/map/tiles/{}/{}/{}/{}.mvt".format(layer["name"], *CENTRE_Z10))
        assert tile.status_code in (200, 204), layer["name"]
        if tile.status_code == 200:
            assert layer["name"] in mapbox_vector_tile.decode(tile.content)
    districts = client.get("/map/layers/districts.geojson").json()["features"]
    assert len(districts) == 12  # the twelve administrative districts the boundary package draws
    zy = next(f["properties"] for f in districts if f["properties"]["name"] == "中原区")
    assert zy["investment"] > 0
    units = client.get("/map/layers/checkup-units.geojson").json()["features"]
    assert units and {f["properties"]["evaluation"] for f in units} & {"general", "serious", "severe"}
    problems = client.get("/map/layers/checkup-problems.geojson").json()["features"]
    assert problems and all(f["properties"]["url"].startswith("/checkup/problems/") for f in problems)
    values = client.get("/map/layers/checkup-values.geojson").json()["features"]
    assert values and all(f["properties"]["value"] is not None for f in values)
    hits = client.get("/map/search.json", {"q": "金水"}).json()["results"]
    assert any(h["layer"] == "districts" and h["name"] == "金水区" for h in hits)

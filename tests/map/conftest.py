"""Fixtures of the one-map tests: drawn district boundaries (squares side by side), projects with
locations, a signed-in client."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

# 中原区 and 二七区 as two squares sharing the meridian 113.60°E; 高新区 (a development zone) overlaps
# the north-east quarter of 中原区.
ZHONGYUAN_BOX = (113.50, 34.70, 113.60, 34.80)
ERQI_BOX = (113.60, 34.70, 113.70, 34.80)
GAOXIN_BOX = (113.55, 34.75, 113.60, 34.80)


def box(bounds) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox(bounds), srid=4326)


@pytest.fixture
def drawn(regions):
    """District boundaries for 中原区, 二七区 and 高新区."""
    from cityrenew.core.models import Region

    for code, bounds in (("410102", ZHONGYUAN_BOX), ("410103", ERQI_BOX), ("410172", GAOXIN_BOX)):
        r = Region.objects.get(code=code)
        r.boundary = box(bounds)
        r.save()
    return {r.code: r for r in Region.objects.filter(code__in=["410102", "410103", "410172"])}


def make_project(code, name, districts, location, **extra):
    from cityrenew.core.models import Region
    from cityrenew.projects.models import RenewalProject

    p = RenewalProject.objects.create(
        code=code, name=name, city=Region.objects.get(code="410100"),
        total_investment=extra.pop("total_investment", Decimal("1.5")), location=location, **extra,
    )
    p.districts.set(Region.objects.filter(code__in=districts))
    return p


@pytest.fixture
def projects(drawn):
    area = Polygon.from_bbox((113.52, 34.72, 113.56, 34.76))
    area.srid = 4326
    return {
        "zy": make_project("K202501001", "中原区测试项目", ["410102"], Point(113.55, 34.72, srid=4326),
                           status="implementing", category="old_community", start_year=2025,
                           total_investment=Decimal("2.25")),
        "eq": make_project("K202501002", "二七区测试项目", ["410103"], Point(113.65, 34.72, srid=4326),
                           status="library", category="old_block", start_year=2024),
        "area": make_project("K202501003", "中原区片区项目", ["410102"], area, status="completed",
                             category="old_block", start_year=2025),
        "none": make_project("K202501004", "无位置项目", ["410102"], None),
    }


@pytest.fixture
def signed_in(client):
    def login(user):
        client.force_login(user)
        return client

    return login

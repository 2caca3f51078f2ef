"""Map layers of the core app: district boundaries and development zones (区县与开发区边界)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from cityrenew.map.features import RecordURL, choice_label
from cityrenew.map.registry import GEOJSON, Layer, register

from .choices import RegionKind, RegionLevel
from .models import Region

KIND_COLOURS = {RegionKind.URBAN_DISTRICT: "#3b6ea5", RegionKind.DEVELOPMENT_ZONE: "#b5651d"}
OTHER_COLOUR = "#5b7083"


def _investment():
    """Total investment (亿元) of the library's projects in each district (a cross-district project counts
    in each of its districts), summed in the database."""
    from cityrenew.projects.models import RenewalProject
    from cityrenew.projects.summary import library_queryset

    through = RenewalProject.districts.through
    sums = (through.objects.filter(region_id=OuterRef("pk"), renewalproject__in=library_queryset().values("pk"))
            .order_by().values("region_id").annotate(s=Sum("renewalproject__total_investment")).values("s"))
    return Coalesce(Subquery(sums, output_field=DecimalField(max_digits=18, decimal_places=6)),
                    Value(Decimal(0)), output_field=DecimalField(max_digits=18, decimal_places=6))


def districts(request):
    """Every district (区县) and development zone (开发区) with a boundary; boundaries are public."""
    return Region.objects.filter(level=RegionLevel.DISTRICT)


register(Layer(
    name="districts",
    title="区县与开发区",
    group="基础",
    kind=GEOJSON,
    queryset=districts,
    geom_field="boundary",
    geometry="polygon",
    properties={
        "name": "name",
        "short_name": "short_name",
        "code": "code",
        "kind": "kind",
        "kind_label": choice_label("kind", RegionKind.choices),
        "investment": _investment(),
        "url": RecordURL("core:region_detail"),
    },
    popup=[("name", "名称"), ("code", "区划代码"), ("kind_label", "类型"), ("investment", "项目库总投资（亿元，含跨区项目）")],
    search=("name", "short_name", "code"),
    style={"colour_by": "kind", "colours": dict(KIND_COLOURS), "colour": OTHER_COLOUR, "fill_opacity": 0.08},
    legend=[{"label": "市辖区", "colour": KIND_COLOURS[RegionKind.URBAN_DISTRICT]},
            {"label": "开发区（功能区）", "colour": KIND_COLOURS[RegionKind.DEVELOPMENT_ZONE]},
            {"label": "县、县级市", "colour": OTHER_COLOUR}],
    visible=True,
    order=10,
))

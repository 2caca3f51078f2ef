"""Map layers of the ledgers (台账): one per ledger type, rows with a location, coloured by category,
grade or status. Equipment (up to millions of rows) is served as vector tiles; the others as GeoJSON."""

from __future__ import annotations

from cityrenew.map.features import RecordURL, choice_label
from cityrenew.map.filters import choice_filter, choice_options, district_ids, district_options
from cityrenew.map.registry import GEOJSON, MVT, Layer, register

from .choices import (
    BUILDING_SOURCE,
    COMMUNITY_SOURCE,
    DANGEROUS_SOURCE,
    EQUIPMENT_SOURCE,
    BuildingFunction,
    DangerGrade,
    EquipmentCategory,
    LedgerStatus,
)
from .models import DangerousHousing, Equipment, OfficeBuilding, OldCommunity

GROUP = "台账"
PALETTE = ["#d9480f", "#1c7ed6", "#2b8a3e", "#5f3dc4", "#e67700", "#0b7285", "#c2255c", "#495057", "#a61e4d",
           "#364fc7", "#087f5b", "#862e9c", "#f08c00", "#1864ab", "#5c940d", "#868e96"]
CATEGORY_COLOURS = {str(v): PALETTE[i % len(PALETTE)] for i, v in enumerate(EquipmentCategory.values)}
GRADE_COLOURS = {DangerGrade.C: "#f08c00", DangerGrade.D: "#c92a2a"}


def _in_district(qs, value):
    return qs.filter(region_id__in=district_ids(value))


COMMON_FILTERS = {"district": _in_district, "status": choice_filter("status", "status", LedgerStatus.choices)}
COMMON_OPTIONS = {"district": district_options, "status": choice_options(LedgerStatus.choices)}


def _layer(name: str, title: str, model, kind: str, properties: dict, popup: list, colour_by: str, colours: dict,
           legend: list, citation, order: int, filters: dict | None = None, options: dict | None = None, minzoom: int = 0) -> Layer:
    return register(Layer(
        name=name, title=title, group=GROUP, kind=kind,
        queryset=lambda request, model=model: model.objects.exclude(location=None),
        geom_field="location", geometry="mixed",
        properties={"code": "code", "name": "name", "status_label": choice_label("status", LedgerStatus.choices),
                    **properties, "url": RecordURL(f"ledgers:{name.removeprefix('ledger-')}_detail", "pk")},
        popup=[("code", "编号"), ("name", "名称"), *popup, ("status_label", "状态")],
        filters={**COMMON_FILTERS, **(filters or {})}, filter_options={**COMMON_OPTIONS, **(options or {})},
        search=("code", "name"), style={"colour_by": colour_by, "colours": colours, "colour": "#1c7ed6"},
        legend=legend, citation=str(citation), order=order, minzoom=minzoom,
    ))


_layer("ledger-equipment", "设施设备", Equipment, MVT,
       {"category": "category", "commissioned": "commissioned"},
       [("category", "设备类别"), ("commissioned", "投用日期")], "category", CATEGORY_COLOURS,
       [{"label": str(label), "colour": CATEGORY_COLOURS[str(v)]} for v, label in EquipmentCategory.choices],
       EQUIPMENT_SOURCE, 40,
       filters={"category": choice_filter("category", "category", EquipmentCategory.choices)},
       options={"category": choice_options(EquipmentCategory.choices)}, minzoom=10)
_layer("ledger-community", "城镇老旧小区", OldCommunity, GEOJSON,
       {"built_year": "built_year", "households": "households"},
       [("built_year", "建成年份"), ("households", "户数")], "", {},
       [{"label": "城镇老旧小区", "colour": "#1c7ed6"}], COMMUNITY_SOURCE, 41)
_layer("ledger-dangerous_housing", "危险住房", DangerousHousing, GEOJSON,
       {"grade": "grade", "grade_label": choice_label("grade", DangerGrade.choices)},
       [("grade_label", "危险性等级")], "grade", {str(k): v for k, v in GRADE_COLOURS.items()},
       [{"label": str(label), "colour": GRADE_COLOURS[DangerGrade(v)]} for v, label in DangerGrade.choices],
       DANGEROUS_SOURCE, 42,
       filters={"grade": choice_filter("grade", "grade", DangerGrade.choices)},
       options={"grade": choice_options(DangerGrade.choices)})
_layer("ledger-building", "老旧低效楼宇", OfficeBuilding, GEOJSON,
       {"built_year": "built_year", "function_label": choice_label("function", BuildingFunction.choices)},
       [("function_label", "主要功能"), ("built_year", "建成年份")], "", {},
       [{"label": "老旧低效楼宇", "colour": "#1c7ed6"}], BUILDING_SOURCE, 43)

"""Map layers of the map app itself: one vector-tile layer per reference layer (参考图层), read from the
database on every listing, so a layer loaded from an OSM extract or a boundary file appears at once.
The reference layers marked ``basemap`` form the offline base map (group “底图”)."""

from __future__ import annotations

from .basemap import BASEMAP_GROUP
from .models import ReferenceFeature, ReferenceLayer, ReferenceLayerKind
from .registry import MVT, Layer, register_dynamic

# how each kind is drawn: (geometry, fill or line colour, minimum zoom, drawing order)
KIND_STYLE = {
    ReferenceLayerKind.WATER: ("polygon", "#a9cbe8", 0, 1),
    ReferenceLayerKind.GREEN: ("polygon", "#cfe6c2", 0, 2),
    ReferenceLayerKind.ROADS: ("line", "#ffffff", 8, 3),
    ReferenceLayerKind.BUILDINGS: ("polygon", "#d9d0c7", 13, 4),
    ReferenceLayerKind.BOUNDARIES: ("polygon", "#8a6d9e", 0, 5),
    ReferenceLayerKind.OTHER: ("mixed", "#8c8c8c", 0, 6),
}


def reference_layer(ref: ReferenceLayer) -> Layer:
    geometry, colour, minzoom, order = KIND_STYLE.get(ref.kind, KIND_STYLE[ReferenceLayerKind.OTHER])
    citation = "；".join(t for t in (ref.source, ref.licence) if t)
    return Layer(
        name=f"ref-{ref.name}",
        title=ref.title,
        group=BASEMAP_GROUP if ref.basemap else "参考图层",
        kind=MVT,
        queryset=lambda request, pk=ref.pk: ReferenceFeature.objects.filter(layer_id=pk),
        geom_field="geom",
        geometry=geometry,
        properties={"name": "name", "category": "category"},
        popup=[("name", "名称"), ("category", "分类")],
        filters={"category": lambda qs, value: qs.filter(category=value)},
        search=("name",),
        style={"colour": colour, "kind": ref.kind},
        legend=[{"label": ref.title, "colour": colour}],
        minzoom=minzoom,
        visible=ref.basemap,
        citation=citation,
        order=order if ref.basemap else 90,
    )


@register_dynamic
def reference_layers() -> list[Layer]:
    return [reference_layer(ref) for ref in ReferenceLayer.objects.order_by("kind", "name")]

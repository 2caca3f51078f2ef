"""A layer's records as map features: properties computed from the layer's declaration, geometry in WGS84.

One place turns ``layer.filtered(request)`` into rows for GeoJSON, vector tiles and exports, so every
response carries the same records and the same properties.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Case, CharField, F, Func, QuerySet, Value, When
from django.db.models.expressions import BaseExpression, Combinable
from django.db.models.functions import Cast, Concat
from django.urls import reverse

from .registry import Layer

PREFIX = "mapprop_"  # alias of a property annotation (an alias may not clash with a model field)


def choice_label(field: str, choices: Any, default: str = "") -> Case:
    """A query expression giving the Chinese label of a choice field (``status`` → “实施”), so the label is
    computed in the database and a vector tile can carry it."""
    whens = [When(**{field: value}, then=Value(str(label))) for value, label in choices]
    return Case(*whens, default=Value(default), output_field=CharField())


def is_expression(value: Any) -> bool:
    return isinstance(value, (BaseExpression, Combinable))


def sql_properties(layer: Layer) -> dict[str, Any]:
    """The properties the database computes: ``{output name: expression}`` (paths become ``F``)."""
    out = {}
    for name, spec in layer.properties.items():
        if isinstance(spec, str):
            out[name] = F(spec)
        elif is_expression(spec):
            out[name] = spec
    return out


def plain(value: Any) -> Any:
    """A property value as JSON and vector tiles carry it: Decimal → float, dates → ISO text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def annotated(layer: Layer, qs: QuerySet) -> QuerySet:
    exprs = sql_properties(layer)
    return qs.annotate(**{PREFIX + name: expr for name, expr in exprs.items()}) if exprs else qs


def iter_features(layer: Layer, qs: QuerySet, *, geometry: bool = True) -> Iterator[tuple[int, dict[str, Any], Any]]:
    """``(pk, properties, GEOS geometry)`` for every record of ``qs`` that has a geometry, in ``pk`` order."""
    if qs.query.is_empty():  # ``none()``: a layer with nothing to show may lack its annotations
        return
    qs = annotated(layer, qs.filter(**{f"{layer.geom_field}__isnull": False})).order_by("pk")
    callables = {n: s for n, s in layer.properties.items() if callable(s) and not is_expression(s)}
    names = list(layer.properties)
    for obj in qs.iterator(chunk_size=2000):
        props = {}
        for name in names:
            if name in callables:
                props[name] = plain(callables[name](obj))
            else:
                props[name] = plain(getattr(obj, PREFIX + name))
        yield obj.pk, props, getattr(obj, layer.geom_field) if geometry else None


def feature_collection(layer: Layer, qs: QuerySet) -> dict[str, Any]:
    features = [
        {"type": "Feature", "id": pk, "geometry": json.loads(geom.json), "properties": props}
        for pk, props, geom in iter_features(layer, qs)
    ]
    return {"type": "FeatureCollection", "name": layer.name, "features": features}


class RecordURL(Func):
    """A query expression giving a record's page address (``/projects/<code>/``): ``reverse(viewname)``
    with the record's ``field`` as the one argument, built in the database so vector tiles carry it.
    The URL is reversed when the query is built (not when the layer is declared)."""

    output_field = CharField()
    MARKER = "987654321"  # fits <int:…> and <str:…> converters

    def __init__(self, viewname: str, field: str = "pk") -> None:
        self.viewname, self.record_field = viewname, field
        super().__init__(F(field), output_field=CharField())

    def resolve_expression(self, *args: Any, **kwargs: Any) -> Any:
        head, tail = reverse(self.viewname, args=[self.MARKER]).split(self.MARKER)
        expr = Concat(Value(head), Cast(F(self.record_field), CharField()), Value(tail), output_field=CharField())
        return expr.resolve_expression(*args, **kwargs)

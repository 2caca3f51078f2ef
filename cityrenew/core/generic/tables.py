"""Small table definitions for the generic list pages: columns, labels, sorting, cells, xlsx rows.

A table is a class with a list of :class:`Column`::

    class ProjectTable(Table):
        columns = [
            Column("code", "项目编号", order_by="code", link=True),
            Column("name", "项目名称", order_by="name", link=True),
            Column("districts", "所在区域"),              # a many-to-many: names joined by “、”
            Column("status", "状态"),                    # a choice field: its Chinese label
        ]

A column reads a dotted attribute path (``"batch.doc_number"``) or calls ``accessor(obj)``; choice
fields show their label, booleans 是/否, related managers their objects joined by “、”, Decimals
without trailing zeros. ``order_by`` makes the header a sort link (``?ordering=name`` /
``?ordering=-name``); the list view orders by it unless the filterset has its own ``ordering`` filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterable, Sequence

from django.db import models
from django.http import HttpRequest, QueryDict

EMPTY = ""


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    accessor: str | Callable[[Any], Any] | None = None  # dotted path, or a function of the object
    order_by: str | Sequence[str] | None = None  # queryset ordering; None: not sortable
    link: bool = False  # link the cell to obj.get_absolute_url()
    export: bool = True  # include in the xlsx export
    css: str = ""  # e.g. "num" for right-aligned figures

    @property
    def sortable(self) -> bool:
        return bool(self.order_by)


@dataclass
class Cell:
    text: str
    url: str = ""
    css: str = ""


@dataclass
class Row:
    obj: Any
    cells: list[Cell] = field(default_factory=list)


def _model_field(obj: Any, name: str) -> models.Field | None:
    meta = getattr(obj, "_meta", None)
    if meta is None:
        return None
    try:
        f = meta.get_field(name)
    except Exception:
        return None
    return f if isinstance(f, models.Field) else None


def resolve(obj: Any, path: str) -> Any:
    """The value at a dotted ``path`` of ``obj``: choice labels, related managers as lists."""
    value: Any = obj
    for part in path.split("."):
        if value is None:
            return None
        f = _model_field(value, part)
        if f is not None and f.choices and not f.is_relation:
            value = getattr(value, f"get_{part}_display")()
            continue
        value = getattr(value, part, None)
        if isinstance(value, models.Manager):
            value = list(value.all())
        elif callable(value) and not isinstance(value, models.Model):
            value = value()
    return value


def as_text(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, (list, tuple)):
        return "、".join(as_text(v) for v in value)
    display = getattr(value, "display_name", None)
    if isinstance(display, str) and display:
        return display
    return str(value)


def as_cell_value(value: Any) -> Any:
    """A value for a spreadsheet cell: numbers stay numbers, everything else is text."""
    if isinstance(value, bool) or value is None:
        return as_text(value)
    if isinstance(value, (int, float, Decimal)):
        return value
    return as_text(value)


class Table:
    """Columns of a list page; bound to a request it knows the current ordering."""

    columns: list[Column] = []
    ordering_param = "ordering"
    default_ordering: str | None = None  # e.g. "-updated" (a column name, optionally with "-")

    def __init__(self, request: HttpRequest | None = None) -> None:
        self.request = request
        self.params: QueryDict = request.GET if request is not None else QueryDict()

    # --- sorting ---------------------------------------------------------------------------------

    @property
    def ordering(self) -> str:
        value = self.params.get(self.ordering_param) or self.default_ordering or ""
        name = value.lstrip("-")
        return value if any(c.name == name and c.sortable for c in self.columns) else ""

    def order(self, qs: models.QuerySet) -> models.QuerySet:
        value = self.ordering
        if not value:
            return qs
        desc = value.startswith("-")
        col = next(c for c in self.columns if c.name == value.lstrip("-"))
        keys = [col.order_by] if isinstance(col.order_by, str) else list(col.order_by or [])
        return qs.order_by(*[("-" + k.lstrip("-") if desc else k) for k in keys], "pk")

    def headers(self) -> list[dict[str, Any]]:
        """One dict per column: key, label, css, and for sortable ones the next query and an arrow."""
        current = self.ordering
        out = []
        for c in self.columns:
            h: dict[str, Any] = {"key": c.name, "label": c.label, "css": c.css, "sortable": c.sortable, "arrow": "", "query": ""}
            if c.sortable:
                if current == c.name:
                    nxt, h["arrow"] = "-" + c.name, " ▲"
                elif current == "-" + c.name:
                    nxt, h["arrow"] = c.name, " ▼"
                else:
                    nxt = c.name
                q = self.params.copy()
                q[self.ordering_param] = nxt
                q.pop("page", None)
                q.pop("export", None)
                h["query"] = q.urlencode()
            out.append(h)
        return out

    def header_map(self) -> dict[str, dict[str, Any]]:
        return {h["key"]: h for h in self.headers()}

    # --- cells -----------------------------------------------------------------------------------

    def value(self, obj: Any, column: Column) -> Any:
        if callable(column.accessor):
            return column.accessor(obj)
        return resolve(obj, column.accessor or column.name)

    def rows(self, objects: Iterable[Any], url_for: Callable[[Any], str] | None = None) -> list[Row]:
        """Rows of text cells; ``link`` columns point at ``url_for(obj)`` (default ``get_absolute_url``)."""
        if url_for is None:
            def url_for(obj: Any) -> str:
                get_url = getattr(obj, "get_absolute_url", None)
                return get_url() if get_url else ""
        out = []
        for obj in objects:
            cells = []
            for c in self.columns:
                url = url_for(obj) if c.link else ""
                cells.append(Cell(as_text(self.value(obj, c)), url, c.css))
            out.append(Row(obj, cells))
        return out

    def export_headers(self) -> list[str]:
        return [c.label for c in self.columns if c.export]

    def export_rows(self, objects: Iterable[Any]) -> Iterable[list[Any]]:
        cols = [c for c in self.columns if c.export]
        for obj in objects:
            yield [as_cell_value(self.value(obj, c)) for c in cols]

"""The generic object-view layer: a model's list/detail/edit/delete pages in a few lines.

See ``docs/generic-views.md`` for the recipe.
"""

from .tables import Cell, Column, Row, Table
from .views import (
    ObjectDeleteView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
    ObjectView,
    object_region_ids,
    object_urls,
)

__all__ = ["Cell", "Column", "Row", "Table", "ObjectListView", "ObjectView", "ObjectEditView", "ObjectDeleteView",
           "ObjectHistoryView", "object_urls", "object_region_ids"]

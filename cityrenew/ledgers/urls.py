"""Pages of the ledgers (台账): /ledgers/, and per type /ledgers/<kind>/ (list, new, detail, edit, delete, history)."""

from django.urls import include, path

from cityrenew.core.generic import object_urls

from . import views
from .choices import LedgerKind

app_name = "ledgers"


def _pages(kind: str) -> list:
    mixin = {"kind": kind}
    return object_urls(
        kind,
        list_view=type(f"{kind}List", (views.LedgerListView,), mixin),
        detail_view=type(f"{kind}Detail", (views.LedgerDetailView,), mixin),
        edit_view=type(f"{kind}Edit", (views.LedgerEditView,), mixin),
        delete_view=type(f"{kind}Delete", (views.LedgerDeleteView,), mixin),
        history_view=type(f"{kind}History", (views.LedgerHistoryView,), mixin),
    )


urlpatterns = [
    path("", views.LedgerIndexView.as_view(), name="index"),
    path("<str:kind>/import/", views.LedgerImportView.as_view(), name="import"),
    path("<str:kind>/template.xlsx", views.TemplateDownloadView.as_view(), name="template"),
    *[path(f"{kind}/import/geometry/", type(f"{kind}GeometryImport", (views.LedgerGeometryImportView,), {"kind": kind}).as_view(),
           name=f"{kind}_import_geometry") for kind in LedgerKind.values],
    *[path(f"{kind}/", include(_pages(kind))) for kind in LedgerKind.values],
]

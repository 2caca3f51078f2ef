from django.urls import include, path

from cityrenew.core.generic import object_urls

from . import reference_views, views

app_name = "map"

urlpatterns = [
    path("", views.MapPageView.as_view(), name="page"),
    path("layers.json", views.LayersView.as_view(), name="layers"),
    path("layers/<slug:name>.geojson", views.LayerGeoJSONView.as_view(), name="layer"),
    path("tiles/<slug:name>/<int:z>/<int:x>/<int:y>.mvt", views.TileView.as_view(), name="tile"),
    path("search.json", views.SearchView.as_view(), name="search"),
    path("export", views.ExportView.as_view(), name="export"),
    # 参考图层: the load page first (its path would otherwise read as a layer named "load")
    path("reference/load/", reference_views.ReferenceLayerLoadView.as_view(), name="reference_load"),
    path("reference/", include(object_urls(
        "reference", list_view=reference_views.ReferenceLayerListView, detail_view=reference_views.ReferenceLayerView,
        delete_view=reference_views.ReferenceLayerDeleteView, history_view=reference_views.ReferenceLayerHistoryView,
        lookup="<slug:name>"))),
]

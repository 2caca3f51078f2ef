from django.urls import path

from . import views

app_name = "map"

urlpatterns = [
    path("", views.MapPageView.as_view(), name="page"),
    path("layers.json", views.LayersView.as_view(), name="layers"),
    path("layers/<slug:name>.geojson", views.LayerGeoJSONView.as_view(), name="layer"),
    path("tiles/<slug:name>/<int:z>/<int:x>/<int:y>.mvt", views.TileView.as_view(), name="tile"),
    path("search.json", views.SearchView.as_view(), name="search"),
    path("export", views.ExportView.as_view(), name="export"),
]

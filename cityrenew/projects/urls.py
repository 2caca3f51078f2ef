"""Pages of the project library (项目库): list, detail, edit, summary, chart, map, batches, import/export."""

from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("", views.ProjectListView.as_view(), name="project_list"),
    path("new/", views.ProjectCreateView.as_view(), name="project_create"),
    path("export.xlsx", views.ProjectExportView.as_view(), name="export"),
    path("import/", views.ProjectImportView.as_view(), name="import"),
    path("import/geometry/", views.ProjectGeometryImportView.as_view(), name="import_geometry"),
    path("import/template.xlsx", views.ImportTemplateView.as_view(), name="import_template"),
    path("summary/", views.SummaryView.as_view(), name="summary"),
    path("summary/export.xlsx", views.SummaryExportView.as_view(), name="summary_export"),
    path("map/", views.MapView.as_view(), name="map"),
    path("map/districts.geojson", views.DistrictGeoJSONView.as_view(), name="map_geojson"),
    path("batches/", views.BatchListView.as_view(), name="batch_list"),
    path("batches/<int:pk>/", views.BatchDetailView.as_view(), name="batch_detail"),
    path("<str:code>/", views.ProjectDetailView.as_view(), name="project_detail"),
    path("<str:code>/edit/", views.ProjectEditView.as_view(), name="project_edit"),
    path("<str:code>/delete/", views.ProjectDeleteView.as_view(), name="project_delete"),
]

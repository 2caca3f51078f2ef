from django.urls import path

from cityrenew.core.generic import object_urls

from . import views

app_name = "performance"

urlpatterns = [
    path("evaluations/", views.EvaluationListView.as_view(), name="evaluation_list"),
    path("evaluations/new/", views.EvaluationEditView.as_view(), name="evaluation_add"),
    path("evaluations/<int:pk>/", views.EvaluationView.as_view(), name="evaluation_detail"),
    path("evaluations/<int:pk>/edit/", views.EvaluationEditView.as_view(), name="evaluation_edit"),
    path("evaluations/<int:pk>/delete/", views.EvaluationDeleteView.as_view(), name="evaluation_delete"),
    path("residents/", views.ResidentListView.as_view(), name="residentevaluation_list"),
    path("residents/new/", views.ResidentEditView.as_view(), name="residentevaluation_add"),
    path("residents/<int:pk>/", views.ResidentView.as_view(), name="residentevaluation_detail"),
    path("residents/<int:pk>/edit/", views.ResidentEditView.as_view(), name="residentevaluation_edit"),
    path("residents/<int:pk>/delete/", views.ResidentDeleteView.as_view(), name="residentevaluation_delete"),
    path("release/", views.ReleaseCheckView.as_view(), name="release_check"),
    path("<int:table>/results/new/", views.ResultEditView.as_view(), name="result_add"),
    path("results/<int:pk>/edit/", views.ResultEditView.as_view(), name="result_edit"),
    path("results/<int:pk>/delete/", views.ResultDeleteView.as_view(), name="result_delete"),
    path("results/<int:result>/indicators/new/", views.IndicatorEditView.as_view(), name="indicator_add"),
    path("indicators/<int:pk>/edit/", views.IndicatorEditView.as_view(), name="indicator_edit"),
    path("indicators/<int:pk>/delete/", views.IndicatorDeleteView.as_view(), name="indicator_delete"),
    path("periods/<int:pk>/actual/", views.ActualView.as_view(), name="period_actual"),
    path("<int:pk>/file/", views.FileTableView.as_view(), name="targettable_file"),
    path("<int:pk>/export/", views.ExportTableView.as_view(), name="targettable_export"),
    *object_urls("targettable", list_view=views.TargetTableListView, detail_view=views.TargetTableView,
                 edit_view=views.TargetTableEditView, delete_view=views.TargetTableDeleteView),
]

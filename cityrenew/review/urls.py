"""Pages of the joint review under /plans/review/."""

from django.urls import include, path

from . import views

app_name = "review"

urlpatterns = [
    path("", views.RecordListView.as_view(), name="record_list"),
    path("records/<int:pk>/", views.RecordView.as_view(), name="record_detail"),
    path("rounds/<int:pk>/", views.RoundView.as_view(), name="round_detail"),
    path("rounds/<int:pk>/opinion.docx", views.RoundOpinionView.as_view(), name="round_opinion"),
    path("plan/<str:code>/", views.PlanRoundsView.as_view(), name="plan_rounds"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("departments/", include(views.department_urls())),
]

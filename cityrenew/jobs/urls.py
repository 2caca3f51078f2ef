"""Pages of the background jobs (后台任务)."""

from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("", views.JobListView.as_view(), name="list"),
    path("<int:pk>/", views.JobDetailView.as_view(), name="detail"),
    path("<int:pk>/download/", views.JobDownloadView.as_view(), name="download"),
    path("<int:pk>/cancel/", views.JobCancelView.as_view(), name="cancel"),
]

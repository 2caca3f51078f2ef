from django.urls import path, re_path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.ReportListView.as_view(), name="report_list"),
    path("generate/", views.GenerateView.as_view(), name="generate"),
    path("compare/", views.CompareView.as_view(), name="compare"),
    path("statistics/", views.StatisticsView.as_view(), name="statistics"),
    path("<int:pk>/", views.ReportDetailView.as_view(), name="report_detail"),
    path("<int:pk>/text/", views.TextView.as_view(), name="text"),
    path("<int:pk>/submit/", views.ActionView.as_view(action="submit"), name="submit"),
    path("<int:pk>/return/", views.ActionView.as_view(action="return"), name="return"),
    path("<int:pk>/accept/", views.ActionView.as_view(action="accept"), name="accept"),
    re_path(r"^(?P<pk>\d+)/download/(?P<fmt>xlsx|docx)/$", views.DownloadView.as_view(), name="download"),
]

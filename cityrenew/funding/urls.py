from django.urls import path

from . import views

app_name = "funding"

urlpatterns = [
    path("", views.FundingLineListView.as_view(), name="fundingline_list"),
    path("lines/new/", views.FundingLineEditView.as_view(), name="fundingline_add"),
    path("lines/<int:pk>/edit/", views.FundingLineEditView.as_view(), name="fundingline_edit"),
    path("lines/<int:pk>/delete/", views.FundingLineDeleteView.as_view(), name="fundingline_delete"),
    path("projects/<str:code>/", views.ProjectFundingView.as_view(), name="project"),
    path("projects/<str:code>/tranches/new/", views.TrancheRequestView.as_view(), name="tranche_add"),
    path("tranches/", views.TrancheListView.as_view(), name="tranche_list"),
    path("tranches/<int:pk>/", views.TrancheView.as_view(), name="tranche_detail"),
    path("settings/", views.FundingSettingsView.as_view(), name="settings"),
    path("double-funding/", views.double_funding_list, name="double_funding"),
    path("import/", views.import_view, name="import"),
    path("template.xlsx", views.template_download, name="template"),
    path("export.xlsx", views.export_lines, name="export"),
]

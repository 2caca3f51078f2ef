"""Pages of the city check-up (城市体检): dashboard, indicator sets, runs, tasks, problems, lists, report."""

from django.urls import path

from . import views, views_units

app_name = "checkup"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    # indicator sets (指标体系)
    path("sets/", views.SetListView.as_view(), name="set_list"),
    path("sets/diff/", views.SetDiffView.as_view(), name="set_diff"),
    path("sets/<int:pk>/", views.SetDetailView.as_view(), name="set_detail"),
    path("sets/<int:pk>/copy/", views.SetCopyView.as_view(), name="set_copy"),
    path("indicators/<int:pk>/retire/", views.IndicatorRetireView.as_view(), name="indicator_retire"),
    # runs (城市体检)
    path("runs/", views.RunListView.as_view(), name="run_list"),
    path("runs/new/", views.RunCreateView.as_view(), name="run_create"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run_detail"),
    path("runs/<int:pk>/evaluate/", views.RunEvaluateView.as_view(), name="run_evaluate"),
    path("runs/<int:pk>/evaluation/", views.EvaluationView.as_view(), name="evaluation"),
    path("runs/<int:pk>/map.geojson", views.MapGeoJSONView.as_view(), name="map_geojson"),
    path("runs/<int:pk>/report.docx", views.ReportView.as_view(), name="report"),
    path("runs/<int:pk>/problems/", views.ProblemListView.as_view(), name="problem_list"),
    path("runs/<int:pk>/problems/new/", views.ProblemCreateView.as_view(), name="problem_create"),
    path("runs/<int:pk>/problems/action/", views.ProblemActionView.as_view(), name="problem_action"),
    path("runs/<int:pk>/issues/", views.IssueListView.as_view(), name="issue_list"),
    path("runs/<int:pk>/issues.xlsx", views.IssueListExportView.as_view(), name="issue_list_export"),
    path("runs/<int:pk>/remediation/", views.RemediationListView.as_view(), name="remediation_list"),
    path("runs/<int:pk>/engine/", views_units.RunEngineView.as_view(), name="run_engine"),
    path("runs/<int:pk>/remediation.xlsx", views.RemediationListExportView.as_view(), name="remediation_list_export"),
    # department tasks (部门填报任务)
    path("tasks/<int:pk>/", views.TaskDetailView.as_view(), name="task_detail"),
    path("tasks/<int:pk>/template.xlsx", views.TaskTemplateView.as_view(), name="task_template"),
    path("tasks/<int:pk>/upload/", views.TaskUploadView.as_view(), name="task_upload"),
    path("tasks/<int:pk>/values/", views.TaskValuesView.as_view(), name="task_values"),
    path("tasks/<int:pk>/evidence/", views.TaskEvidenceView.as_view(), name="task_evidence"),
    path("tasks/<int:pk>/submit/", views.TaskSubmitView.as_view(), name="task_submit"),
    path("tasks/<int:pk>/return/", views.TaskReturnView.as_view(), name="task_return"),
    path("tasks/<int:pk>/accept/", views.TaskAcceptView.as_view(), name="task_accept"),
    # assessment units (体检单元)
    path("units/", views_units.UnitListView.as_view(), name="unit_list"),
    path("units/import/", views_units.UnitImportView.as_view(), name="unit_import"),
    path("units/template.xlsx", views_units.UnitTemplateView.as_view(), name="unit_template"),
    path("units/<int:pk>/", views_units.UnitDetailView.as_view(), name="unit_detail"),
    # field problems (现场问题)
    path("problems/<int:pk>/", views.ProblemDetailView.as_view(), name="problem_detail"),
]

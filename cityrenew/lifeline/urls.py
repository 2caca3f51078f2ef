from django.urls import include, path

from cityrenew.core.generic import object_urls

from . import views

app_name = "lifeline"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("statistics/", views.StatisticsView.as_view(), name="statistics"),
    path("datastreams/<int:pk>/series.json", views.SeriesView.as_view(), name="series"),
    path("devices/import/", views.DeviceImportView.as_view(), name="device_import"),
    path("devices/template.xlsx", views.DeviceTemplateView.as_view(), name="device_template"),
    path("devices/<int:pk>/key/", views.DeviceKeyView.as_view(), name="device_key"),
    path("alarms/<int:pk>/act/", views.AlarmActionView.as_view(), name="alarm_act"),
    path("devices/", include(object_urls("device", list_view=views.DeviceListView, detail_view=views.DeviceView,
                                         edit_view=views.DeviceEditView, delete_view=views.DeviceDeleteView))),
    path("assets/", include(object_urls("monitoredasset", list_view=views.AssetListView, detail_view=views.AssetView,
                                        edit_view=views.AssetEditView, delete_view=views.AssetDeleteView))),
    path("rules/", include(object_urls("alarmrule", list_view=views.RuleListView, detail_view=views.RuleView,
                                       edit_view=views.RuleEditView, delete_view=views.RuleDeleteView))),
    path("retention/", views.RetentionView.as_view(), name="retention"),
    path("retention/", include(object_urls("retentionsettings", edit_view=views.RetentionEditView))),
    path("alarms/", include(object_urls("alarm", list_view=views.AlarmListView, detail_view=views.AlarmView))),
]

from django.urls import path

from . import views

app_name = "centralfund"

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("applications/", views.IndexView.as_view(), name="application_list"),
    path("applications/new/", views.ApplicationEditView.as_view(), name="application_add"),
    path("applications/<int:pk>/", views.ApplicationView.as_view(), name="application_detail"),
    path("applications/<int:pk>/edit/", views.ApplicationEditView.as_view(), name="application_edit"),
    path("applications/<int:pk>/conditions/<int:condition>/", views.ConditionView.as_view(), name="application_condition"),
    path("applications/<int:pk>/files/", views.FileView.as_view(), name="application_file"),
    path("applications/<int:pk>/flagships/", views.FlagshipView.as_view(), name="application_flagship"),
    path("applications/<int:pk>/mechanisms/", views.MechanismView.as_view(), name="application_mechanism"),
    path("applications/<int:pk>/transition/", views.TransitionView.as_view(), name="application_transition"),
    path("rounds/new/", views.RoundEditView.as_view(), name="round_add"),
    path("rounds/<int:pk>/", views.RoundView.as_view(), name="round_detail"),
    path("rounds/<int:pk>/edit/", views.RoundEditView.as_view(), name="round_edit"),
    path("rounds/<int:pk>/<str:action>/", views.RoundAction.as_view(), name="round_action"),
    path("caps/", views.CapsView.as_view(), name="caps"),
]

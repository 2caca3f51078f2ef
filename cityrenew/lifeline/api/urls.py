from django.urls import path

from .views import LifelineStatisticsView

urlpatterns = [path("lifeline/statistics/", LifelineStatisticsView.as_view(), name="lifeline-statistics")]

from django.urls import path

app_name = "checkup"
urlpatterns: list = []

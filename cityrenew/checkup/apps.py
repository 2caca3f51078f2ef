from django.apps import AppConfig


class CheckupConfig(AppConfig):
    name = "cityrenew.checkup"
    label = "checkup"
    verbose_name = "城市体检"

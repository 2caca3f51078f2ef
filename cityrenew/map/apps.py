from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class MapConfig(AppConfig):
    name = "cityrenew.map"
    label = "map"
    verbose_name = "一张图"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # every app registers its map layers in its own ``maplayers.py`` (cityrenew/projects/maplayers.py, …)
        autodiscover_modules("maplayers")

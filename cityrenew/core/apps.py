from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cityrenew.core"
    label = "core"
    verbose_name = "基础数据"
    # modules that define rules citing policy documents (cite(..., rule=...)), listed on /policies/
    policy_modules = ("views",)

    def ready(self) -> None:
        from . import auth, signals  # noqa: F401
        from .geo import register_api_geometry_field

        register_api_geometry_field()

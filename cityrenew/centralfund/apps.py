from django.apps import AppConfig


class CentralFundConfig(AppConfig):
    name = "cityrenew.centralfund"
    label = "centralfund"
    verbose_name = "中央财政支持城市更新申报与遴选"
    default_auto_field = "django.db.models.BigAutoField"
    policy_modules = ("rules", "workflow")

    def ready(self) -> None:
        from cityrenew.core.uploads import register_attachments
        from cityrenew.funding.hooks import register_release_check

        from . import inbox  # noqa: F401  (registers the provider)
        from .hooks import cap_release_check
        from .permissions import can_read_file

        register_attachments("centralfund/", can_read_file)
        register_release_check(cap_release_check)

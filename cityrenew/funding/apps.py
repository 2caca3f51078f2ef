from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "cityrenew.funding"
    label = "funding"
    verbose_name = "资金"
    default_auto_field = "django.db.models.BigAutoField"
    # modules that define rules citing policy documents (cite(..., rule=...)), listed on /policies/
    policy_modules = ("services",)

    def ready(self) -> None:
        from cityrenew.core.uploads import register_attachments

        from . import inbox  # noqa: F401  (registers the 我的待办 provider)
        from .permissions import can_read_attachment

        register_attachments("funding/attachments/", can_read_attachment)

from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "cityrenew.plans"
    label = "plans"
    verbose_name = "实施方案"
    # modules that define rules citing policy documents (cite(..., rule=...)), listed on /policies/
    policy_modules = ("workflow", "services")

    def ready(self) -> None:
        from cityrenew.core.uploads import register_attachments

        from . import inbox  # noqa: F401  (registers the 我的待办 provider)
        from .services import can_read_file, register_guards

        register_guards()
        register_attachments("plans/", can_read_file)

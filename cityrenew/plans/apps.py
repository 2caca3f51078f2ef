from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "cityrenew.plans"
    label = "plans"
    verbose_name = "实施方案"
    default_auto_field = "django.db.models.BigAutoField"
    # modules that define rules citing policy documents (cite(..., rule=...)), listed on /policies/
    policy_modules = ("workflow",)

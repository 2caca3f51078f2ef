from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "cityrenew.workdays"
    label = "workdays"
    verbose_name = "工作日历"
    default_auto_field = "django.db.models.BigAutoField"
    # modules that define rules citing policy documents (cite(..., rule=...)), listed on /policies/
    policy_modules = ("calendar",)

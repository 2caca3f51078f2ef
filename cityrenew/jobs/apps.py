from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    name = "cityrenew.jobs"
    label = "jobs"
    verbose_name = "后台任务"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # every app declares its job kinds in its own ``jobs.py`` (cityrenew/projects/jobs.py, …)
        autodiscover_modules("jobs")

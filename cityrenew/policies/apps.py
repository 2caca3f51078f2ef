from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "cityrenew.policies"
    label = "policies"
    verbose_name = "政策库"
    default_auto_field = "django.db.models.BigAutoField"


    def ready(self) -> None:
        from .citations import _connect

        _connect()  # the citation index is dropped whenever a document or article changes

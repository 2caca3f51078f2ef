from django.apps import AppConfig


class CheckupConfig(AppConfig):
    name = "cityrenew.checkup"
    label = "checkup"
    verbose_name = "城市体检"

    # modules that define rules citing policy documents (cite(..., rule=...)), listed on /policies/
    policy_modules = ("choices", "catalogue", "report", "services.exports", "services.problems")

    def ready(self) -> None:
        from cityrenew.core.uploads import register_attachments

        from . import inbox  # noqa: F401  (registers the 我的待办 provider)

        from .services.permissions import can_read_evidence_file, can_read_photo_file

        register_attachments("checkup/evidence/", can_read_evidence_file)
        register_attachments("checkup/photos/", can_read_photo_file)

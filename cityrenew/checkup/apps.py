from django.apps import AppConfig


class CheckupConfig(AppConfig):
    name = "cityrenew.checkup"
    label = "checkup"
    verbose_name = "城市体检"

    def ready(self) -> None:
        from cityrenew.core.uploads import register_attachments

        from .services.permissions import can_read_evidence_file, can_read_photo_file

        register_attachments("checkup/evidence/", can_read_evidence_file)
        register_attachments("checkup/photos/", can_read_photo_file)

from django.apps import AppConfig


class BallotsConfig(AppConfig):
    name = "cityrenew.ballots"
    label = "ballots"
    verbose_name = "业主表决"
    default_auto_field = "django.db.models.BigAutoField"
    # modules that define rules citing policy documents (cite(..., rule=...)), listed on /policies/
    policy_modules = ("choices",)

    def ready(self) -> None:
        from cityrenew.plans.choices import PlanState
        from cityrenew.plans.workflow import register_guard

        from . import inbox  # noqa: F401  (registers the 我的待办 provider)
        from .services import consent_guard

        register_guard(PlanState.CONSENTED, consent_guard)

        from cityrenew.core.uploads import register_attachments

        register_attachments("ballots/scans/", scan_readable)


def scan_readable(user, name: str):
    """A paper ballot's scan shows the choice: readable after close, by users who may read the vote."""
    from .models import Ballot
    from .views import can_read

    ballot = Ballot.objects.select_related("vote", "vote__plan").filter(scan=name).first()
    if ballot is None:
        return None
    return bool(getattr(user, "is_authenticated", False)) and ballot.vote.is_closed() and can_read(user, ballot.vote)

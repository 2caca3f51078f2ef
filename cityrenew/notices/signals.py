"""A saved or deleted notice or comment gives the notice's public page a new version (``pagecache``)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import pagecache
from .models import Comment, Notice


@receiver([post_save, post_delete], sender=Notice)
def notice_changed(sender, instance: Notice, **kwargs) -> None:
    pagecache.bump(instance.pk)


@receiver([post_save, post_delete], sender=Comment)
def comment_changed(sender, instance: Comment, **kwargs) -> None:
    pagecache.bump(instance.notice_id)

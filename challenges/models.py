"""A challenge brought to the workshop by a challenger, and its ordered obstacles (hinder)."""

from __future__ import annotations

from django.db import models
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from challenges import kept
from workshops.models import Workshop


class Challenge(models.Model):
    workshop = models.ForeignKey(
        "workshops.Workshop", on_delete=models.CASCADE, related_name="challenges"
    )
    challenger = models.ForeignKey(
        "workshops.Participant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="challenges",
        verbose_name=_("challenger"),
    )
    title = models.CharField(_("challenge"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    # When a labber last acknowledged the challenger's own changes on the setup page.
    changes_seen_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The challenger was reminded to write what they did next (once: see remind_challengers).
    follow_up_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")
        ordering = ["workshop", "order", "id"]

    def __str__(self) -> str:
        return self.title


class Obstacle(models.Model):
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="obstacles")
    text = models.CharField(_("obstacle"), max_length=300)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("obstacle")
        verbose_name_plural = _("obstacles")
        ordering = ["challenge", "order", "id"]

    def __str__(self) -> str:
        return self.text


class ChallengeFollowUp(models.Model):
    """The challenger's own report on their challenge after the workshop: what we did next."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="follow_ups")
    author = models.ForeignKey(
        "workshops.Participant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("what we did next"))
    link = models.URLField(_("link"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("challenger's follow-up")
        verbose_name_plural = _("challenger's follow-ups")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.text[:40]}"


def challenges_changed(workshop_id: int) -> None:
    """Move the workshop's challenges_version: what a process keeps of its obstacles
    (workshops/regions.py: workshop_obstacles) is read again. Every save or delete of a
    challenge or obstacle does it (below); a bulk_create of obstacles calls it itself."""
    Workshop.objects.filter(pk=workshop_id).update(challenges_version=F("challenges_version") + 1)
    kept.forget(workshop_id)  # this process's at once: its requests may hold an older row


@receiver([post_save, post_delete], sender=Challenge)
def _challenge_changed(instance: Challenge, **kwargs) -> None:
    challenges_changed(instance.workshop_id)


@receiver([post_save, post_delete], sender=Obstacle)
def _obstacle_changed(instance: Obstacle, **kwargs) -> None:
    if Obstacle.challenge.is_cached(instance):
        workshop_id = instance.challenge.workshop_id
    else:  # one of a challenge's obstacles deleted with it, say
        found = Challenge.objects.filter(pk=instance.challenge_id).values_list("workshop_id")
        workshop_id = next(iter(found), (None,))[0]
    if workshop_id is not None:
        challenges_changed(workshop_id)

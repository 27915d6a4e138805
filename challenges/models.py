"""A challenge brought to the workshop by a challenger, and its ordered obstacles (hinder)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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

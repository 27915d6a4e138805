"""What the room says (insights, suggestions), how it is grouped and prioritised, who takes it
forward (claims, follow-ups). The live events that carry every change to the screens are the
`live` app's (live/models.py)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Theme(models.Model):
    """A named group of contributions (affinity mapping)."""

    workshop = models.ForeignKey(
        "workshops.Workshop", on_delete=models.CASCADE, related_name="themes"
    )
    name = models.CharField(_("theme"), max_length=120)
    order = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["workshop", "order", "id"]

    def __str__(self) -> str:
        return self.name


class Contribution(models.Model):
    class Kind(models.TextChoices):
        INSIGHT = "insight", _("Insight")
        SUGGESTION = "suggestion", _("Suggestion")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a labber")
        VISIBLE = "visible", _("Visible")
        HIDDEN = "hidden", _("Hidden")

    workshop = models.ForeignKey(
        "workshops.Workshop", on_delete=models.CASCADE, related_name="contributions"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.INSIGHT)
    text = models.TextField(_("text"))
    author = models.ForeignKey(
        "workshops.Participant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contributions",
        verbose_name=_("author"),
    )
    challenge = models.ForeignKey(
        "challenges.Challenge", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    obstacle = models.ForeignKey(
        "challenges.Obstacle",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contributions",
        verbose_name=_("obstacle"),
    )
    prompt = models.ForeignKey(
        "workshops.Prompt",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contributions",
    )
    theme = models.ForeignKey(
        Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="contributions"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.VISIBLE, db_index=True
    )
    spotlight = models.BooleanField(_("spotlight"), default=False)
    pinned = models.BooleanField(_("pinned"), default=False)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged",
        verbose_name=_("merged into"),
    )
    # Made by the phone; a resend of the same post (lost acknowledgement, double tap) finds it.
    client_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("posted"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_key"],
                condition=~Q(client_key=""),
                name="contribution_client_key_once_per_author",
            ),
        ]
        indexes = [
            models.Index(fields=["workshop", "status", "-created_at"]),
            # The room's counters (workshops.regions.room_counts) are read on every post:
            # counted from this index alone, without reading the rows.
            models.Index(fields=["workshop", "merged_into", "status"], name="contribution_counts"),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    def mark_new(self) -> Contribution:
        """A card that was just created has no merged cards, votes, claims or edits: say so,
        and the templates that show it read none of them from the database."""
        cache = self.__dict__.setdefault("_prefetched_objects_cache", {})
        for relation in ("merged", "votes", "claims", "edits"):
            # The related model's own empty queryset: the relation's manager would first build
            # its join filter: 0.2 ms a card, against 0.02 (measured in process).
            model = self._meta.get_field(relation).related_model
            empty = model._default_manager.none()
            empty._result_cache = []  # evaluated, as prefetch_related leaves it: no SQL to build
            cache[relation] = empty
        return self

    @property
    def is_suggestion(self) -> bool:
        return self.kind == self.Kind.SUGGESTION

    @property
    def is_visible(self) -> bool:
        return self.status == self.Status.VISIBLE and self.merged_into_id is None


class ContributionEdit(models.Model):
    """A labber's fix of a contribution's text; the original is kept here."""

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="edits")
    old_text = models.TextField()
    new_text = models.TextField()
    editor = models.ForeignKey(
        "workshops.Participant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.old_text[:30]} → {self.new_text[:30]}"


class Vote(models.Model):
    """Dots one participant put on one suggestion (more than one only where the workshop allows)."""

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(
        "workshops.Participant", on_delete=models.CASCADE, related_name="votes"
    )
    dots = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(
                fields=["contribution", "participant"], name="vote_once_per_participant"
            ),
            models.CheckConstraint(condition=Q(dots__gte=1), name="vote_at_least_one_dot"),
        ]

    def __str__(self) -> str:
        return f"{self.dots} × {self.contribution}"


class Claim(models.Model):
    """A receiver takes a suggestion forward."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", _("Claimed")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        PARKED = "parked", _("Parked")

    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="claims", verbose_name=_("suggestion")
    )
    receiver = models.ForeignKey(
        "workshops.Participant",
        on_delete=models.CASCADE,
        related_name="claims",
        verbose_name=_("receiver"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.CLAIMED
    )
    note = models.TextField(_("what we intend"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contribution", "receiver"],
                name="claim_once_per_receiver",
                violation_error_message=_("You have already claimed this suggestion."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receiver} → {self.contribution}"

    def clean(self) -> None:
        if self.contribution_id and not self.contribution.is_suggestion:
            raise ValidationError(_("Only suggestions can be claimed, not insights."))
        if self.receiver_id and not self.receiver.is_receiver:
            raise ValidationError(_("Only receivers can claim suggestions."))
        if (
            self.contribution_id
            and self.receiver_id
            and self.contribution.workshop_id != self.receiver.workshop_id
        ):
            raise ValidationError(_("A receiver can only claim in their own workshop."))


class FollowUp(models.Model):
    """A dated report on a claim, by its receiver or the challenger."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="follow_ups")
    author = models.ForeignKey(
        "workshops.Participant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=12, choices=Claim.Status.choices)
    text = models.TextField(_("report"))
    link = models.URLField(_("link"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.get_status_display()}"

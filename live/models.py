"""The live events: each change pushed to the screens of a stream (settings.LABBET_LIVE_STREAM,
the workshop), numbered with the stream's cursor."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class LiveEvent(models.Model):
    """One change pushed to the screens, with the fragments rendered for each view.

    Kept so that a reconnecting client can be sent exactly what it missed (by cursor)."""

    # The stream's model comes from a setting, as AUTH_USER_MODEL does: this app knows
    # nothing of workshops. The field keeps its name (and its column, workshop_id).
    workshop = models.ForeignKey(
        settings.LABBET_LIVE_STREAM, on_delete=models.CASCADE, related_name="live_events"
    )
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=40)
    fragments = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Moved here from insights with its table: no data moves (see the migrations).
        db_table = "insights_liveevent"
        ordering = ["workshop", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "seq"], name="live_event_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.workshop_id}#{self.seq} {self.kind}"

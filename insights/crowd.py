"""The console's signal when many new phones from one network post the same text or put dots
on the same suggestion within a minute: one person with many cookies looks like that (an
honest hall behind one wifi rarely does). Nothing is refused; the labbers are told, once per
minute and thing, in the moderation log, and decide (hide, mute, close voting)."""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from insights.live import publish
from insights.models import Contribution
from workshops.log import log_change
from workshops.models import Participant, Workshop
from workshops.regions import recent_log

logger = logging.getLogger(__name__)

WINDOW = 60  # seconds: "within a minute"


def same_text(text: str) -> str:
    """Posts that say the same thing whatever their case and spacing."""
    return hashlib.sha256(" ".join(text.casefold().split()).encode()).hexdigest()[:16]


def is_new(participant: Participant) -> bool:
    age = timezone.now() - participant.created_at
    return age <= timedelta(seconds=settings.LABBET_CROWD_NEW_PHONE)


def note(
    workshop: Workshop, participant: Participant, what: str, thing: str, contribution: Contribution
) -> None:
    """Count one new phone of this network doing `what` ("posts", "votes") to `thing`; at the
    threshold, a moderation-log entry for the console (inside the caller's transaction, so it
    goes out with the caller's own live event)."""
    threshold = settings.LABBET_CROWD_SIGNAL
    if not threshold or not participant.network or not is_new(participant):
        return
    window = int(time.time() // WINDOW)
    base = f"labbet:crowd:{workshop.pk}:{participant.network}:{what}:{thing}:{window}"
    try:
        if not cache.add(f"{base}:{participant.pk}", 1, timeout=WINDOW + 1):
            return  # this phone counted already: it is phones that count, not dots
        phones = 1 if cache.add(base, 1, timeout=WINDOW + 1) else cache.incr(base)
    except Exception:
        logger.warning("crowd: the cache is unavailable; not counted", exc_info=True)
        return
    if phones == threshold:
        log_change(
            workshop, None, f"signal:{what}", contribution=contribution, phones=phones, window=60
        )
        # The console's log; the other views get an empty frame (every view gets every cursor).
        publish(workshop, "crowd.signal", {"log": recent_log(workshop)})

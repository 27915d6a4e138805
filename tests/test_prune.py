"""Old live events are pruned daily (deploy/labbet-prune.timer), but never one that a
reconnecting screen may still be sent; the posts themselves stay."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from insights.models import Contribution
from live.events import missed_events
from live.models import LiveEvent
from tests.factories import make_workshop, post
from tests.test_deploy_timer import unit

pytestmark = pytest.mark.django_db
START = datetime(2026, 6, 30, 14, 0, tzinfo=UTC)


def test_old_events_past_every_replay_go_and_the_rest_stay(settings):
    settings.LABBET_REPLAY_LIMIT = 3
    with time_machine.travel(START, tick=False):
        workshop = make_workshop()
        for n in range(6):
            post(workshop, text=f"Post {n}")
    with time_machine.travel(START + timedelta(days=20), tick=False):
        post(workshop, text="Post today")
        out = StringIO()
        call_command("prune_live_events", days=14, stdout=out)
        call_command("prune_live_events", days=14, stdout=StringIO())  # twice: nothing more
    workshop.refresh_from_db()
    kept = list(LiveEvent.objects.filter(workshop=workshop).values_list("seq", flat=True))
    assert kept == list(range(workshop.live_seq - 2, workshop.live_seq + 1))
    assert f"Deleted {workshop.live_seq - 3} live event(s)" in out.getvalue()
    frames, current = missed_events(
        workshop.pk, "projector", workshop.language, workshop.live_seq - 3
    )
    assert current == workshop.live_seq and len(frames) == 3  # a reconnect still catches up
    assert Contribution.objects.filter(workshop=workshop).count() == 7


def test_recent_events_stay_however_many(settings):
    settings.LABBET_REPLAY_LIMIT = 1
    workshop = make_workshop()
    for n in range(4):
        post(workshop, text=f"Post {n}")
    before = LiveEvent.objects.count()
    call_command("prune_live_events", days=14, stdout=StringIO())
    assert LiveEvent.objects.count() == before


def test_the_prune_timer_runs_its_service_daily():
    timer = unit("labbet-prune.timer")["Timer"]
    assert timer["Unit"] == "labbet-prune.service"
    assert timer["Persistent"] == "true"
    command = unit("labbet-prune.service")["Service"]["ExecStart"]
    assert command.endswith("manage.py prune_live_events --days 14")

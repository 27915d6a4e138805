"""A room that presses Send together: posts that reach the server while it saves earlier ones
are saved together, in one transaction and one live event (bench.burst: 200 phones at once).
Each phone still gets its own answer, in its own language; a refused or failing post is told
to its phone alone and costs its neighbours nothing."""

from __future__ import annotations

import asyncio
import threading
import time
from types import SimpleNamespace

import pytest

from insights.actions import posts as post_actions
from insights.consumers import handle_posts
from insights.models import Contribution
from labbet.batching import ThreadBatches
from live.db import Batches
from tests.factories import make_audience, make_workshop

pytestmark = pytest.mark.django_db


def socket(participant, language: str) -> SimpleNamespace:
    """What handle_posts reads of a socket: whose it is and the language it reads."""
    return SimpleNamespace(participant_id=participant.pk, language=language)


def sent(text: str, key: str) -> dict:
    return {"kind": "insight", "text": text, "client_key": key}


def test_posts_sent_together_are_one_event_and_each_phone_is_answered_in_its_language():
    workshop = make_workshop(language="sv")
    swede, english, muted = (make_audience(workshop) for _ in range(3))
    muted.muted = True
    muted.save()
    before = workshop.live_seq
    answers = handle_posts(
        workshop.pk,
        [
            (socket(swede, "sv"), sent("Fler mötesplatser", "a")),
            (socket(english, "en"), sent("Open data by default", "b")),
            (socket(muted, "en"), sent("spam", "c")),
            (socket(english, "en"), sent("Open data by default", "b")),  # a double tap
        ],
    )
    assert ">Skicka</button>" in answers[0] and ">Send</button>" in answers[1]
    assert "A labber has paused posting from this phone." in answers[2]
    assert "Open data by default" not in answers[3]  # the form is blank again: it was saved
    saved = Contribution.objects.filter(workshop=workshop)
    assert sorted(saved.values_list("text", flat=True)) == [
        "Fler mötesplatser",
        "Open data by default",
    ]
    workshop.refresh_from_db()
    (event,) = workshop.live_events.filter(seq__gt=before)
    assert event.kind == "contribution.added"
    wall = event.fragments["phone"]
    # Both cards in one frame, the later one on top (each is inserted at the wall's top).
    assert wall.index("Fler mötesplatser") < wall.index("Open data by default")
    assert event.fragments["projector"].count('id="count-posts"') == 1


def test_a_post_that_fails_is_told_to_its_phone_and_the_others_are_saved(monkeypatch):
    workshop = make_workshop()
    first, second = make_audience(workshop), make_audience(workshop)
    insert = post_actions._insert

    def breaks_on_boom(workshop, author, post, alone):
        if post.text == "boom":
            raise RuntimeError("the disk is full")
        return insert(workshop, author, post, alone)

    monkeypatch.setattr(post_actions, "_insert", breaks_on_boom)
    answers = handle_posts(
        workshop.pk,
        [(socket(first, "en"), sent("boom", "x")), (socket(second, "en"), sent("Kept", "y"))],
    )
    assert isinstance(answers[0], RuntimeError)
    assert isinstance(answers[1], str) and "Kept" not in answers[1]
    assert list(Contribution.objects.values_list("text", flat=True)) == ["Kept"]


def test_a_socket_whose_person_is_gone_gets_no_answer_and_the_rest_are_saved():
    workshop = make_workshop()
    gone, stays = make_audience(workshop), make_audience(workshop)
    gone_socket = socket(gone, "en")
    gone.delete()
    answers = handle_posts(
        workshop.pk,
        [(gone_socket, sent("lost", "g")), (socket(stays, "en"), sent("Here", "h"))],
    )
    assert answers[0] is None  # the consumer closes that socket
    assert list(Contribution.objects.values_list("text", flat=True)) == ["Here"]


@pytest.mark.asyncio
async def test_items_handed_in_while_a_batch_runs_go_together_and_a_lone_one_at_once():
    calls: list[list[str]] = []

    def handle(key, items):
        calls.append(list(items))
        return [ValueError(item) if item == "bad" else item.upper() for item in items]

    batches = Batches(handle)
    assert await batches.submit("room", "alone") == "ALONE"
    assert calls == [["alone"]]

    # While the first of these is handled, three more arrive: they are one call.
    calls.clear()
    first = asyncio.ensure_future(batches.submit("room", "a"))
    await asyncio.sleep(0)  # the drain has started with "a" alone
    rest = [asyncio.ensure_future(batches.submit("room", item)) for item in ("b", "bad", "c")]
    assert await first == "A"
    results = await asyncio.gather(*rest, return_exceptions=True)
    assert results[0] == "B" and results[2] == "C"
    assert isinstance(results[1], ValueError)  # told to its caller alone
    assert calls == [["a"], ["b", "bad", "c"]]
    assert batches.pending == {}


@pytest.mark.asyncio
async def test_what_a_batch_leaves_for_its_end_runs_on_its_thread_then_its_frames_go_out(caplog):
    """A post's comparison with the wall runs on the socket thread once its batch has made
    its answers, and the frames the batch (and the comparison) left go to the event loop
    after that, with the answers, before the next batch; a failing job is logged, and the
    rest of the batch's end and the next batch are handled all the same. Outside a batch,
    both say no (their caller runs the job or sends at once)."""
    from live.db import after_batch, send_after_batch

    seen: list[str] = []
    answered: dict[str, asyncio.Future] = {}
    threads: set[int] = set()

    def job(name: str, fail: bool = False):
        def run():
            threads.add(threading.get_ident())
            # The event loop waits for this thread: nothing of the batch is out yet.
            seen.append(f"{name} compared, {'answered' if answered[name].done() else 'waiting'}")
            assert send_after_batch(lambda: seen.append(f"{name}'s comparison sent"))
            if fail:
                raise RuntimeError("broken comparison")

        return run

    def handle(key, items):
        threads.add(threading.get_ident())
        for item in items:
            assert after_batch(job(item, fail=item == "bad"))
            assert send_after_batch(lambda item=item: seen.append(f"{item} sent"))
            seen.append(f"handled {item}")
        return [item.upper() for item in items]

    batches = Batches(handle)
    for name in ("a", "bad", "c"):
        answered[name] = asyncio.ensure_future(batches.submit("room", name))
        await asyncio.sleep(0)
    assert [await answered[name] for name in ("a", "bad", "c")] == ["A", "BAD", "C"]
    assert batches.pending == {}
    assert seen == [
        "handled a",
        "a compared, waiting",
        "a sent",
        "a's comparison sent",
        "handled bad",
        "handled c",
        "bad compared, waiting",
        "c compared, waiting",
        "bad sent",
        "c sent",
        "bad's comparison sent",
        "c's comparison sent",
    ]
    assert "a job left for the end of a batch failed" in caplog.text
    assert len(threads) == 1 and threading.get_ident() not in threads  # the socket thread
    assert after_batch(job("x")) is False
    assert send_after_batch(lambda: None) is False


@pytest.mark.asyncio
async def test_a_batch_that_fails_after_leaving_a_job_still_runs_it_and_sends_its_frames():
    """Posts that committed before their batch failed are still compared with the wall, and
    their frames still go out."""
    from live.db import after_batch, send_after_batch

    ran: list[str] = []

    def handle(key, items):
        after_batch(lambda: ran.append("compared"))
        send_after_batch(lambda: ran.append("sent"))
        raise RuntimeError("the answers could not be rendered")

    with pytest.raises(RuntimeError, match="could not be rendered"):
        await Batches(handle).submit("room", "a")
    assert ran == ["compared", "sent"]


@pytest.mark.asyncio
async def test_a_batch_whose_frames_cannot_be_sent_still_answers_and_sends_the_rest(caplog):
    """Its posts are committed: a failed hand-over is logged, as a send on commit is, and the
    batch's callers get their answers."""
    from live.db import send_after_batch

    sent: list[str] = []

    def broken():
        raise RuntimeError("the event loop is gone")

    def handle(key, items):
        send_after_batch(broken)
        send_after_batch(lambda: sent.append("next event"))
        return [item.upper() for item in items]

    assert await Batches(handle).submit("room", "a") == "A"
    assert sent == ["next event"]
    assert "sending a batch's frames failed" in caplog.text


def test_requests_that_arrive_while_a_batch_runs_go_together_and_each_gets_its_own_result():
    calls: list[list[str]] = []
    first_running, let_go = threading.Event(), threading.Event()

    def handle(key, items):
        calls.append(list(items))
        if items == ["a"]:
            first_running.set()
            let_go.wait(5)
        return [ValueError(item) if item == "bad" else item.upper() for item in items]

    batches = ThreadBatches(handle)
    results: dict[str, object] = {}

    def request(item: str) -> None:
        try:
            results[item] = batches.submit("room", item)
        except ValueError as refused:
            results[item] = refused

    first = threading.Thread(target=request, args=("a",))
    first.start()
    assert first_running.wait(5)
    rest = [threading.Thread(target=request, args=(item,)) for item in ("b", "bad", "c")]
    for thread in rest:
        thread.start()
    while len(batches.queues.get("room", [])) < 3:  # all three wait behind the first
        time.sleep(0.001)
    let_go.set()
    for thread in (first, *rest):
        thread.join(5)
    assert calls == [["a"], ["b", "bad", "c"]]
    assert results["a"] == "A" and results["b"] == "B" and results["c"] == "C"
    assert isinstance(results["bad"], ValueError)  # told to its request alone
    assert batches.queues == {} and batches.leading == set()
    # Idle again: the next request is handled at once, alone.
    assert batches.submit("room", "d") == "D" and calls[-1] == ["d"]


def test_a_batch_brings_the_similar_post_index_up_to_date_once():
    """Every post of a batch is checked against the wall before any is saved: the wall's
    index is read for new posts once, not once per post."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    workshop = make_workshop()
    people = [make_audience(workshop) for _ in range(5)]
    with CaptureQueriesContext(connection) as queries:
        handle_posts(
            workshop.pk,
            [
                (socket(p, "en"), sent(f"Idea number {i} entirely its own", f"i{i}"))
                for i, p in enumerate(people)
            ],
        )
    since = [q["sql"] for q in queries.captured_queries if '"id" >' in q["sql"]]
    assert len(since) <= 2  # the offers' one, and the comparison after the commit's
    assert Contribution.objects.count() == 5


def anyway(text: str, key: str = "a") -> dict:
    return {**sent(text, key), "anyway": "1"}


def test_a_batch_with_two_near_duplicates_tells_the_console_once(
    django_capture_on_commit_callbacks,
):
    """A room that posts the same idea together: after the commit the wall's index reads the
    batch's posts in one query, and the console gets one update with both of them grouped,
    not one update per post."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from insights.duplicates import duplicate_groups
    from tests.factories import post

    workshop = make_workshop(language="sv")
    seed = post(workshop, text="Digitala samverkansplattformar där vi kan arbeta gemensamt")
    one, two, three = (make_audience(workshop) for _ in range(3))
    workshop.refresh_from_db()
    before = workshop.live_seq
    with (
        django_capture_on_commit_callbacks(execute=True),
        CaptureQueriesContext(connection) as queries,
    ):
        handle_posts(
            workshop.pk,
            [
                # sent anyway: past the phone's offer of a dot for the card it is like
                (socket(one, "sv"), anyway("En digital samverkansplattform, arbeta gemensamt")),
                (socket(two, "sv"), sent("Fler cykelbanor i centrum", "b")),
                (
                    socket(three, "sv"),
                    anyway("Digitala samverkansplattformar, arbeta gemensamt!", "c"),
                ),
            ],
        )
    after_commit = [q["sql"] for q in queries.captured_queries if '"id" >' in q["sql"]]
    assert len(after_commit) <= 2  # the offers' read, and the comparison's, once each
    workshop.refresh_from_db()
    kinds = list(workshop.live_events.filter(seq__gt=before).values_list("kind", flat=True))
    assert kinds == ["contribution.added", "similar.changed"]
    (group,) = duplicate_groups(workshop)
    assert group[0] == seed and len(group) == 3

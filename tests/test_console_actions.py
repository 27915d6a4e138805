"""Every console move is an action: it changes the room, writes the moderation log, publishes
one live event that every view can render, and can be undone from the log."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from challenges import actions as challenge_actions
from insights.actions import posts as moves
from insights.errors import ActionRefused
from insights.models import Contribution, Theme, Vote
from tests.factories import make_audience, make_user, make_workshop, post
from workshops.actions import room as steer
from workshops.actions import setup as actions
from workshops.log import card_version, is_undoable
from workshops.models import LogEntry, Workshop

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    # The messages are read as an English-speaking labber reads them.
    with translation.override("en"):
        yield


@pytest.fixture
def room():
    user = make_user("lena")
    workshop = make_workshop(labber_user=user)
    labber = workshop.participants.get(user=user)
    return workshop, labber


def events_after(workshop: Workshop, seq: int) -> list:
    return list(workshop.live_events.filter(seq__gt=seq).order_by("seq"))


def last_log(workshop: Workshop) -> LogEntry:
    return LogEntry.objects.filter(workshop=workshop).first()


def published(workshop: Workshop, seq: int, kind: str) -> dict[str, str]:
    """The one event a move published after `seq`: its fragments for every view."""
    (event,) = events_after(workshop, seq)
    assert event.kind == kind
    assert set(event.fragments) == {"phone", "projector", "console"}
    return event.fragments


def cursor(workshop: Workshop) -> int:
    workshop.refresh_from_db()
    return workshop.live_seq


# --- Moderation of contributions ---


def test_labber_approves_a_pending_post_and_it_reaches_every_screen(room):
    workshop, labber = room
    workshop.moderation = Workshop.Moderation.PRE
    workshop.save()
    pending = post(workshop, text="Pilots with citizens")
    seq = cursor(workshop)
    moves.set_status(pending, Contribution.Status.VISIBLE, labber)
    pending.refresh_from_db()
    assert pending.status == Contribution.Status.VISIBLE
    fragments = published(workshop, seq, "contribution.updated")
    assert "Pilots with citizens" in fragments["phone"]
    assert "Pilots with citizens" in fragments["projector"]
    assert 'id="console-log"' in fragments["console"] and "approved" in fragments["console"]
    assert last_log(workshop).action == "status:visible"


def test_a_new_pending_post_raises_the_consoles_waiting_count(room):
    workshop, _labber = room
    workshop.moderation = Workshop.Moderation.PRE
    workshop.save()
    seq = cursor(workshop)
    post(workshop, text="Waiting")
    fragments = published(workshop, seq, "contribution.added")
    assert 'id="console-counts"' in fragments["console"]
    assert re.search(r"waiting</dt><dd>1</dd>", fragments["console"])
    assert "Waiting" not in fragments["projector"]


def test_hiding_removes_the_card_from_phones_and_projector_and_counts_it(room):
    workshop, labber = room
    contribution = post(workshop, text="Rude words")
    seq = cursor(workshop)
    moves.set_status(contribution, Contribution.Status.HIDDEN, labber)
    fragments = published(workshop, seq, "contribution.updated")
    assert f'id="c-{contribution.pk}" hx-swap-oob="delete"' in fragments["phone"]
    assert f'id="c-{contribution.pk}" hx-swap-oob="delete"' in fragments["projector"]
    assert "1 post hidden by the labbers" in fragments["projector"]
    assert "card--hidden" in fragments["console"]


def test_restoring_brings_a_hidden_post_back(room):
    workshop, labber = room
    contribution = post(workshop)
    moves.set_status(contribution, Contribution.Status.HIDDEN, labber)
    moves.set_status(contribution, Contribution.Status.VISIBLE, labber)
    contribution.refresh_from_db()
    assert contribution.is_visible
    assert last_log(workshop).action == "status:visible"


def test_fixing_a_typo_keeps_the_original_in_the_edit_history(room):
    workshop, labber = room
    contribution = post(workshop, text="Pilots with citzens")
    seq = cursor(workshop)
    moves.edit_text(contribution, "Pilots with citizens", labber)
    contribution.refresh_from_db()
    assert contribution.text == "Pilots with citizens"
    (edit,) = contribution.edits.all()
    assert (edit.old_text, edit.new_text, edit.editor) == (
        "Pilots with citzens",
        "Pilots with citizens",
        labber,
    )
    fragments = published(workshop, seq, "contribution.updated")
    assert "Pilots with citizens" in fragments["projector"]
    assert "Original:" in fragments["console"] and "citzens" in fragments["console"]


def test_spotlight_shows_one_post_large_and_moves_from_the_last_one(room):
    workshop, labber = room
    first, second = post(workshop, text="First idea"), post(workshop, text="Second idea")
    moves.set_spotlight(workshop, first, labber)
    seq = cursor(workshop)
    moves.set_spotlight(workshop, second, labber)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.spotlight, second.spotlight) == (False, True)
    fragments = published(workshop, seq, "contribution.updated")
    assert 'id="projector-spotlight"' in fragments["projector"]
    assert "spotlight__text" in fragments["projector"] and "Second idea" in fragments["projector"]
    moves.set_spotlight(workshop, None, labber)
    assert not Contribution.objects.filter(spotlight=True).exists()
    assert last_log(workshop).action == "spotlight:off"


def test_a_hidden_post_cannot_be_spotlit(room):
    workshop, labber = room
    contribution = post(workshop)
    moves.set_status(contribution, Contribution.Status.HIDDEN, labber)
    with pytest.raises(ActionRefused, match="on the wall"):
        moves.set_spotlight(workshop, contribution, labber)


def test_pinning_marks_the_card_on_every_screen(room):
    workshop, labber = room
    contribution = post(workshop)
    seq = cursor(workshop)
    moves.set_pinned(contribution, True, labber)
    fragments = published(workshop, seq, "contribution.updated")
    assert "card--pinned" in fragments["projector"] and "card--pinned" in fragments["phone"]
    assert last_log(workshop).action == "pin"


def test_muting_stops_a_phone_posting_and_shows_on_the_console(room):
    workshop, labber = room
    troll = make_audience(workshop, "Troll")
    post(workshop, author=troll, text="spam")
    seq = cursor(workshop)
    moves.set_muted(troll, True, labber)
    troll.refresh_from_db()
    assert troll.muted
    assert "author muted" in published(workshop, seq, "contribution.updated")["console"]
    with pytest.raises(ActionRefused, match="paused posting from this phone"):
        moves.post_contribution(workshop=workshop, author=troll, kind="insight", text="more")


def test_a_labber_cannot_be_muted(room):
    _workshop, labber = room
    with pytest.raises(ActionRefused):
        moves.set_muted(labber, True, labber)


def test_merge_leaves_one_card_with_the_votes_and_author_of_both(room):
    workshop, labber = room
    anna, bo, cai = (make_audience(workshop, name) for name in ("Anna", "Bo", "Cai"))
    keep = post(workshop, author=anna, text="Pilots with citizens")
    duplicate = post(workshop, author=bo, text="Test with citizens")
    Vote.objects.create(contribution=keep, participant=anna, dots=1)
    Vote.objects.create(contribution=duplicate, participant=anna, dots=2)
    Vote.objects.create(contribution=duplicate, participant=cai, dots=1)
    seq = cursor(workshop)
    moves.merge_contributions(keep, [(duplicate, None)], labber)
    duplicate.refresh_from_db()
    assert duplicate.merged_into == keep
    assert {(v.participant.display_name, v.dots) for v in keep.votes.all()} == {
        ("Anna", 3),
        ("Cai", 1),
    }
    assert not duplicate.votes.exists()
    fragments = published(workshop, seq, "contribution.updated")
    for view in ("phone", "projector"):
        assert f'id="c-{duplicate.pk}" hx-swap-oob="delete"' in fragments[view]
        assert "Anna, Bo" in fragments[view]
    assert "1 merged into it" in fragments["console"]


def test_merging_a_card_that_had_merges_points_them_all_to_the_one_that_stays(room):
    workshop, labber = room
    a, b, c = post(workshop, text="a"), post(workshop, text="b"), post(workshop, text="c")
    moves.merge_contributions(b, [(c, None)], labber)
    moves.merge_contributions(a, [(b, None)], labber)
    assert set(a.merged.all()) == {b, c}


def test_grouping_under_a_theme_reflows_the_wall_by_theme(room):
    workshop, labber = room
    a, b = post(workshop, text="Trust first"), post(workshop, text="Share data")
    steer.set_wall_layout(workshop, Workshop.WallLayout.THEME, labber)
    seq = cursor(workshop)
    theme = moves.group_into_theme(workshop, [a, b], labber, name="Trust")
    assert set(theme.contributions.all()) == {a, b}
    fragments = published(workshop, seq, "room.changed")
    assert f'id="col-t{theme.pk}"' in fragments["projector"]
    assert 'id="console-wall"' in fragments["console"]
    # The same name again adds to the same theme.
    c = post(workshop, text="Open doors")
    assert moves.group_into_theme(workshop, [c], labber, name="trust") == theme


def test_taking_posts_out_of_their_theme(room):
    workshop, labber = room
    a = post(workshop)
    moves.group_into_theme(workshop, [a], labber, name="Trust")
    moves.group_into_theme(workshop, [a], labber)
    a.refresh_from_db()
    assert a.theme is None
    assert last_log(workshop).action == "theme:clear"


# --- Steering the room ---


def test_phase_change_changes_what_the_phones_ask_for_and_goes_live(room):
    workshop, labber = room
    workshop.status = Workshop.Status.DRAFT
    workshop.save()
    seq = cursor(workshop)
    steer.set_phase(workshop, Workshop.Phase.SUGGESTIONS, labber)
    workshop.refresh_from_db()
    assert (workshop.phase, workshop.status) == ("suggestions", "live")
    fragments = published(workshop, seq, "room.changed")
    assert 'id="phone-prompt"' in fragments["phone"]
    assert "What could solve it?" in fragments["phone"]
    assert 'data-default-kind="suggestion"' in fragments["phone"]
    assert 'id="projector-live"' in fragments["projector"]
    assert 'aria-current="step"' in fragments["console"]


def test_the_challenge_phase_puts_the_challenge_on_the_projector(room):
    workshop, labber = room
    seq = cursor(workshop)
    steer.set_phase(workshop, Workshop.Phase.CHALLENGE, labber)
    fragments = published(workshop, seq, "room.changed")
    assert "Our challenge" in fragments["projector"] and "No trust" in fragments["projector"]


def test_prioritising_closes_the_wall_for_new_posts(room):
    workshop, labber = room
    steer.set_phase(workshop, Workshop.Phase.PRIORITISE, labber)
    with pytest.raises(ActionRefused, match="closed for new posts"):
        post(workshop)


def test_a_prompt_goes_to_the_screens_and_ties_new_posts_to_it(room):
    workshop, labber = room
    seq = cursor(workshop)
    question = "Who can be innovative in a culture of fear of failure?"
    steer.set_prompt(workshop, question, labber)
    fragments = published(workshop, seq, "room.changed")
    assert question in fragments["phone"] and question in fragments["projector"]
    contribution = post(workshop)
    assert contribution.prompt.text == question
    steer.clear_prompt(workshop, labber)
    assert post(workshop, text="later").prompt is None


def test_pre_moderation_makes_new_posts_wait(room):
    workshop, labber = room
    steer.set_moderation(workshop, Workshop.Moderation.PRE, labber)
    assert post(workshop).status == Contribution.Status.PENDING
    assert last_log(workshop).action == "moderation"


def test_locking_posting_tells_every_phone_and_refuses_posts(room):
    workshop, labber = room
    seq = cursor(workshop)
    steer.set_posting_open(workshop, False, labber)
    fragments = published(workshop, seq, "room.changed")
    assert 'data-can-post="0"' in fragments["phone"]
    assert "Posting is paused" in fragments["phone"]
    with pytest.raises(ActionRefused, match="Posting is paused"):
        post(workshop)
    steer.set_posting_open(workshop, True, labber)
    assert post(workshop).pk


def test_timer_counts_down_from_an_end_time_on_every_screen(room):
    workshop, labber = room
    seq = cursor(workshop)
    with time_machine.travel(timezone.now(), tick=False):
        steer.start_timer(workshop, 180, labber)
        workshop.refresh_from_db()
        assert workshop.timer_ends_at == timezone.now() + timedelta(seconds=180)
    fragments = published(workshop, seq, "room.changed")
    ends = f'data-timer-ends="{workshop.timer_ends_at.timestamp():.3f}"'
    assert ends in fragments["phone"] and ends in fragments["projector"]
    assert "3:00" in fragments["projector"]


def test_pausing_resuming_and_resetting_the_timer(room):
    workshop, labber = room
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        steer.start_timer(workshop, 120, labber)
    with time_machine.travel(start + timedelta(seconds=50), tick=False):
        workshop = steer.pause_timer(workshop, labber)
        assert (workshop.timer_ends_at, workshop.timer_remaining) == (None, 70)
    with time_machine.travel(start + timedelta(seconds=500), tick=False):
        workshop = steer.resume_timer(workshop, labber)
        assert workshop.timer_ends_at == timezone.now() + timedelta(seconds=70)
    workshop = steer.reset_timer(workshop, labber)
    assert (workshop.timer_ends_at, workshop.timer_remaining) == (None, None)


def test_a_labber_holds_the_walls_page_and_lets_it_turn_again(room):
    workshop, labber = room
    seq = cursor(workshop)
    workshop = steer.set_wall_paging(workshop, False, labber)
    assert not workshop.wall_pages_turn
    fragments = published(workshop, seq, "room.changed")
    assert 'data-pages-turn="0"' in fragments["projector"]
    assert 'aria-pressed="true" data-focus-key="paging"' in fragments["console"]
    assert last_log(workshop).action == "pages:hold"
    workshop = steer.set_wall_paging(workshop, True, labber)
    assert workshop.wall_pages_turn and last_log(workshop).action == "pages:turn"


def test_the_next_phase_clears_a_timer_that_ran_out_from_every_screen(room):
    workshop, labber = room
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        steer.start_timer(workshop, 60, labber)
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        steer.expire_timer(workshop, labber)
        seq = cursor(workshop)
        workshop = steer.set_phase(workshop, Workshop.Phase.SUGGESTIONS, labber)
    assert (workshop.timer_ends_at, workshop.timer_remaining) == (None, None)
    fragments = published(workshop, seq, "room.changed")
    for view in ("projector", "console"):
        assert re.search(
            r'<p id="room-timer"[^>]* class="timer timer--off" hidden', fragments[view]
        )


def test_posting_locks_itself_when_the_timer_has_run_out(room):
    workshop, labber = room
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        steer.start_timer(workshop, 60, labber, lock_at_zero=True)
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        # Before any console has published it, a late post is refused on the server.
        with pytest.raises(ActionRefused, match="Time is up"):
            post(workshop)
        seq = cursor(workshop)
        assert steer.expire_timer(workshop, labber)
        assert not steer.expire_timer(workshop, labber)  # a second console: nothing to do
    workshop.refresh_from_db()
    assert not workshop.posting_open and workshop.timer_remaining == 0
    assert 'data-can-post="0"' in published(workshop, seq, "room.changed")["phone"]
    # The clock running out is no labber's move to undo; unlocking posting is.
    assert last_log(workshop).action == "timer:expire"
    assert not is_undoable(last_log(workshop))


def test_an_early_expiry_changes_nothing(room):
    workshop, labber = room
    steer.start_timer(workshop, 60, labber)
    assert not steer.expire_timer(workshop, labber)
    workshop.refresh_from_db()
    assert workshop.timer_ends_at is not None and workshop.posting_open


def test_a_timer_without_the_lock_lets_posting_go_on(room):
    workshop, labber = room
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        steer.start_timer(workshop, 10, labber, lock_at_zero=False)
    with time_machine.travel(start + timedelta(seconds=20), tick=False):
        assert post(workshop).pk
        steer.expire_timer(workshop, labber)
    workshop.refresh_from_db()
    assert workshop.posting_open


def test_projector_theme_and_wall_layout(room):
    workshop, labber = room
    seq = cursor(workshop)
    steer.set_projector_theme(workshop, Workshop.ProjectorTheme.DARK, labber)
    assert 'data-theme="dark"' in published(workshop, seq, "room.changed")["projector"]
    seq = cursor(workshop)
    steer.set_wall_layout(workshop, Workshop.WallLayout.KIND, labber)
    fragments = published(workshop, seq, "room.changed")
    assert (
        'id="col-insight"' in fragments["projector"] and 'id="console-wall"' in fragments["console"]
    )


def test_a_wall_by_obstacle_has_a_column_per_obstacle_in_the_challenges_order(room):
    """The columns and the phone's choices come from one read of the obstacles per request;
    an obstacle added or moved shows at once, in its place."""
    workshop, labber = room
    steer.set_wall_layout(workshop, Workshop.WallLayout.OBSTACLE, labber)
    challenge = workshop.challenges.get()
    silos, trust = challenge.obstacles.order_by("order")
    added = challenge_actions.add_obstacle(challenge, "No budget")
    seq = cursor(workshop)
    challenge_actions.move_obstacle(added, -1)
    projector = published(workshop, seq, "room.changed")["projector"]
    columns = re.findall(r'id="col-(o\d+|general)"', projector)
    assert columns == [f"o{silos.pk}", f"o{added.pk}", f"o{trust.pk}", "general"]


def test_closing_the_workshop_stops_posting_and_frees_the_code(room):
    workshop, labber = room
    seq = cursor(workshop)
    steer.close_workshop(workshop, labber)
    workshop.refresh_from_db()
    assert workshop.is_closed and workshop.phase == Workshop.Phase.CLOSED
    assert "has closed" in published(workshop, seq, "room.changed")["phone"]
    with pytest.raises(ActionRefused, match="has closed"):
        post(workshop)


# --- Undo, from the moderation log ---


def undo_last(workshop, labber) -> None:
    steer.undo(workshop, last_log(workshop).pk, labber)


def test_undo_reverses_a_hide(room):
    workshop, labber = room
    contribution = post(workshop)
    moves.set_status(contribution, Contribution.Status.HIDDEN, labber)
    seq = cursor(workshop)
    undo_last(workshop, labber)
    contribution.refresh_from_db()
    assert contribution.is_visible
    assert "Pilots with citizens" in published(workshop, seq, "contribution.updated")["projector"]
    entries = list(LogEntry.objects.filter(workshop=workshop))
    assert entries[0].action == "undo" and entries[1].undone_at is not None


def test_undo_of_a_typo_fix_restores_the_text_and_keeps_the_history(room):
    workshop, labber = room
    contribution = post(workshop, text="original")
    moves.edit_text(contribution, "fixed", labber)
    undo_last(workshop, labber)
    contribution.refresh_from_db()
    assert contribution.text == "original"
    assert [(e.old_text, e.new_text) for e in contribution.edits.all()] == [
        ("original", "fixed"),
        ("fixed", "original"),
    ]


def test_undo_of_a_merge_gives_back_the_card_and_its_votes(room):
    workshop, labber = room
    anna, cai = make_audience(workshop, "Anna"), make_audience(workshop, "Cai")
    keep, duplicate = post(workshop, text="keep"), post(workshop, text="dup")
    Vote.objects.create(contribution=keep, participant=anna, dots=1)
    Vote.objects.create(contribution=duplicate, participant=anna, dots=2)
    Vote.objects.create(contribution=duplicate, participant=cai, dots=1)
    moves.merge_contributions(keep, [(duplicate, None)], labber)
    seq = cursor(workshop)
    undo_last(workshop, labber)
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None
    assert {(v.participant_id, v.dots) for v in keep.votes.all()} == {(anna.pk, 1)}
    assert {(v.participant_id, v.dots) for v in duplicate.votes.all()} == {
        (anna.pk, 2),
        (cai.pk, 1),
    }
    assert "dup" in published(workshop, seq, "contribution.updated")["projector"]


@pytest.mark.parametrize(
    ("move", "check"),
    [
        (lambda w, c, lab: moves.set_pinned(c, True, lab), lambda w, c: not c.pinned),
        (lambda w, c, lab: moves.set_spotlight(w, c, lab), lambda w, c: not c.spotlight),
        (lambda w, c, lab: moves.set_muted(c.author, True, lab), lambda w, c: not c.author.muted),
        (
            lambda w, c, lab: moves.group_into_theme(w, [c], lab, name="T"),
            lambda w, c: c.theme is None and not Theme.objects.exists(),
        ),
        (lambda w, c, lab: steer.set_phase(w, "insights", lab), lambda w, c: w.phase == "join"),
        (lambda w, c, lab: steer.set_prompt(w, "Q?", lab), lambda w, c: not w.current_prompt),
        (
            lambda w, c, lab: steer.set_moderation(w, "pre", lab),
            lambda w, c: w.moderation == "open",
        ),
        (lambda w, c, lab: steer.set_posting_open(w, False, lab), lambda w, c: w.posting_open),
        (lambda w, c, lab: steer.start_timer(w, 60, lab), lambda w, c: w.timer_ends_at is None),
        (
            lambda w, c, lab: steer.set_wall_layout(w, "kind", lab),
            lambda w, c: w.wall_layout == "obstacle",
        ),
        (
            lambda w, c, lab: steer.set_projector_theme(w, "dark", lab),
            lambda w, c: w.projector_theme == "light",
        ),
        (lambda w, c, lab: steer.close_workshop(w, lab), lambda w, c: not w.is_closed),
    ],
    ids=[
        "pin",
        "spotlight",
        "mute",
        "theme",
        "phase",
        "prompt",
        "moderation",
        "posting",
        "timer",
        "layout",
        "projector-theme",
        "close",
    ],
)
def test_every_move_can_be_undone_from_the_log(room, move, check):
    workshop, labber = room
    contribution = post(workshop)
    move(workshop, contribution, labber)
    undo_last(workshop, labber)
    workshop.refresh_from_db()
    contribution.refresh_from_db()
    contribution.author.refresh_from_db()
    assert check(workshop, contribution)


def test_undo_is_refused_when_the_post_has_changed_since(room):
    workshop, labber = room
    contribution = post(workshop)
    moves.set_status(contribution, Contribution.Status.HIDDEN, labber)
    hide = last_log(workshop)
    moves.set_status(contribution, Contribution.Status.VISIBLE, labber)
    moves.edit_text(contribution, "changed", labber)
    with pytest.raises(ActionRefused, match="changed since"):
        steer.undo(workshop, hide.pk, labber)
    steer.undo(workshop, last_log(workshop).pk, labber)
    with pytest.raises(ActionRefused, match="undone already"):
        steer.undo(workshop, LogEntry.objects.get(action="edit").pk, labber)


def test_a_workshop_cannot_reopen_when_another_took_its_code(room):
    workshop, labber = room
    steer.close_workshop(workshop, labber)
    make_workshop(code=workshop.code)
    with pytest.raises(ActionRefused, match="join code"):
        undo_last(workshop, labber)


# --- Two labbers on one card ---


def test_a_move_on_a_card_that_changed_since_the_labber_saw_it_is_refused(room):
    workshop, labber = room
    seen = post(workshop)
    version = card_version(seen)
    other = make_user("olle")
    actions.add_colabber(workshop, other)
    colleague = workshop.participants.get(user=other)
    moves.set_status(seen, Contribution.Status.HIDDEN, colleague, expected_version=version)
    keep = post(workshop, text="keep")
    with pytest.raises(ActionRefused, match="Someone else changed this post"):
        moves.merge_contributions(keep, [(seen, version)], labber)
    seen.refresh_from_db()
    assert seen.status == Contribution.Status.HIDDEN and seen.merged_into is None
    assert LogEntry.objects.filter(workshop=workshop).count() == 1


def test_a_move_on_a_card_merged_away_is_refused_with_a_clear_message(room):
    workshop, labber = room
    keep, duplicate = post(workshop, text="keep"), post(workshop, text="dup")
    moves.merge_contributions(keep, [(duplicate, card_version(duplicate))], labber)
    with pytest.raises(ActionRefused, match="merged this post into another"):
        moves.set_status(duplicate, Contribution.Status.HIDDEN, labber)


def test_a_post_on_its_way_when_the_labber_turns_on_moderation_waits_for_approval(room):
    workshop, _labber = room
    """The card is rendered before the workshop is locked; a change that came meanwhile
    (here: moderation turned on) is followed, and the phones never see the post."""
    phone = make_audience(workshop)
    as_the_post_read_it = Workshop.objects.get(pk=workshop.pk)
    Workshop.objects.filter(pk=workshop.pk).update(moderation=Workshop.Moderation.PRE)
    seq = cursor(workshop)
    contribution, created = moves.post_contribution(
        workshop=as_the_post_read_it, author=phone, kind="insight", text="Slow wifi"
    )
    assert created and contribution.status == Contribution.Status.PENDING
    fragments = published(workshop, seq, "contribution.added")
    assert "Slow wifi" not in fragments["phone"] and "Slow wifi" not in fragments["projector"]
    assert "Slow wifi" in fragments["console"]
    assert 'id="console-counts"' in fragments["console"]


def test_a_post_on_its_way_when_posting_is_locked_is_refused_and_saves_nothing(room):
    workshop, _labber = room
    phone = make_audience(workshop)
    as_the_post_read_it = Workshop.objects.get(pk=workshop.pk)
    Workshop.objects.filter(pk=workshop.pk).update(posting_open=False)
    seq = cursor(workshop)
    with pytest.raises(ActionRefused):
        moves.post_contribution(
            workshop=as_the_post_read_it, author=phone, kind="insight", text="Too late"
        )
    assert not Contribution.objects.filter(text="Too late").exists()
    assert events_after(workshop, seq) == []


def test_the_projector_counter_follows_every_post(room):
    workshop, _labber = room
    seq = cursor(workshop)
    post(workshop, text="One")
    counted = published(workshop, seq, "contribution.added")["projector"]
    visible = Contribution.objects.filter(workshop=workshop, status="visible").count()
    assert f'<span id="count-posts" hx-swap-oob="true">{visible}</span>' in counted

"""State changes of contributions. Each runs in one transaction and publishes on commit."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from challenges.models import Obstacle
from insights import crowd
from insights.duplicates import after_posts, similar_context
from insights.errors import ActionRefused
from insights.live import publish
from insights.models import Contribution, ContributionEdit, Theme, Vote
from insights.posting import posting_refusal
from labbet import compiled
from labbet.limits import check_post_rate
from workshops.log import card_version, log_change
from workshops.models import Participant, Workshop, locked_workshop
from workshops.regions import (
    by_obstacle,
    card_contexts,
    recent_log,
    room_context,
    room_counts,
    spotlight_of,
)


def _publish_cards(workshop: Workshop, contributions: Sequence[Contribution]) -> None:
    # The counters are read under the workshop's lock: of two posts in flight, the later
    # event counts both.
    publish(
        workshop,
        "contribution.added",
        {"cards": card_contexts(contributions), "counts": room_counts(workshop)},
    )


def _post_state(workshop: Workshop) -> tuple:
    """What a new card depends on besides itself: its status, its prompt, its column."""
    return (workshop.moderation, workshop.current_prompt_id, workshop.wall_layout)


def _new_status(workshop: Workshop, author: Participant) -> str:
    if workshop.moderation == Workshop.Moderation.PRE and not author.is_labber:
        return Contribution.Status.PENDING
    return Contribution.Status.VISIBLE


def check_can_post(workshop: Workshop, author: Participant) -> None:
    refusal = posting_refusal(workshop, author)
    if refusal is not None:
        raise refusal


@dataclass(frozen=True)
class NewPost:
    """One post from the room, as post_contributions takes it."""

    author: Participant
    kind: str
    text: str
    obstacle: Obstacle | None = None
    client_key: str = ""
    display_name: str | None = None
    # The poster's language, when it is not the one active: a refusal is told in it.
    language: str | None = None


Posted = tuple[Contribution, bool]


def post_contribution(
    *,
    workshop: Workshop,
    author: Participant,
    kind: str,
    text: str,
    obstacle: Obstacle | None = None,
    client_key: str = "",
    display_name: str | None = None,
) -> Posted:
    """Save a post from the room; (the contribution, whether it is new).

    A resend with the same client key (a lost acknowledgement, a double tap) returns the
    contribution saved the first time and changes nothing."""
    post = NewPost(author, kind, text, obstacle, client_key, display_name)
    (result,) = post_contributions(workshop, [post])
    if isinstance(result, ActionRefused):
        raise result
    return result


def told_in(language: str | None):
    """The poster's language while their post is handled (None: the one active)."""
    return translation.override(language) if language else nullcontext()


def post_contributions(
    workshop: Workshop, posts: Sequence[NewPost]
) -> list[Posted | ActionRefused]:
    """Save posts of the room in one transaction, under one lock of the workshop's row and as
    one live event: what a room that presses Send together costs (bench.burst). Each post's
    outcome in the order given: (the contribution, whether it is new), or why it was refused
    (nothing of it is saved). A resend with a client key already saved by its author is
    answered with the first contribution and changes nothing."""
    by_obstacle(workshop)  # asked by the cards and by the phones' next forms: read it once
    results: list[Posted | ActionRefused | None] = [None] * len(posts)
    resent: list[int] = []
    with transaction.atomic():
        authors = compiled.by_pk(Participant, [post.author.pk for post in posts])
        inserted: list[tuple[int, Contribution]] = []
        for i, post in enumerate(posts):
            author = authors.get(post.author.pk)
            if author is None:
                raise Participant.DoesNotExist(f"participant {post.author.pk} is gone")
            with told_in(post.language):
                try:
                    inserted.append((i, _insert(workshop, author, post, alone=len(posts) == 1)))
                except ActionRefused as refusal:
                    results[i] = refusal
                except IntegrityError:
                    # A resend of a saved post (a lost acknowledgement, a double tap, two
                    # sends that raced): the first one is the answer, read after the commit.
                    if not post.client_key:
                        raise
                    resent.append(i)
        if inserted:
            _publish_new(workshop, posts, inserted, results)
    for i in resent:
        post = posts[i]
        existing = Contribution.objects.filter(
            author=post.author, client_key=post.client_key
        ).first()
        if existing is None:
            raise IntegrityError(f"post {post.client_key!r} was refused by the database")
        results[i] = (existing, False)
    return results  # type: ignore[return-value]  # every place is filled


def _insert(workshop: Workshop, author: Participant, post: NewPost, alone: bool) -> Contribution:
    """One post's row, in a savepoint: refused or a resend, it leaves nothing behind. A post
    alone needs none: the whole transaction is rolled back, and nothing else is in it."""
    with transaction.atomic(savepoint=not alone):
        check_can_post(workshop, author)  # the room as this request read it
        if post.display_name is not None and post.display_name != author.display_name:
            author.display_name = post.display_name
            author.save(update_fields=["display_name"])
        # A resend is told apart by the key's unique constraint, not by a query before every
        # post: resends are rare, posts are not. Inserted by a statement compiled once
        # (labbet/compiled.py): every post of the room makes one.
        contribution = compiled.insert(
            Contribution(
                workshop=workshop,
                kind=post.kind,
                text=post.text,
                author=author,
                obstacle=post.obstacle,
                challenge=post.obstacle.challenge if post.obstacle else None,
                prompt_id=workshop.current_prompt_id,
                status=_new_status(workshop, author),
                client_key=post.client_key,
            )
        )
        # A resend never gets here, so it is free; a new post counts, HTTP or socket alike,
        # and one over the limit is rolled back.
        check_post_rate(author)
    return contribution


def _publish_new(
    workshop: Workshop,
    posts: Sequence[NewPost],
    inserted: list[tuple[int, Contribution]],
    results: list,
) -> None:
    # The workshop's row is locked only now, after the inserts: in a large room the posts of
    # every process queue on that lock (PostgreSQL; SQLite has one writer).
    locked = locked_workshop(workshop)
    kept: list[Contribution] = []
    dropped: list[int] = []
    for i, contribution in inserted:
        author = contribution.author
        with told_in(posts[i].language):
            # The room as it is now: a lock that came meanwhile.
            refusal = posting_refusal(locked, author)
        if refusal is not None:
            results[i] = refusal
            dropped.append(contribution.pk)
            continue
        if _post_state(locked) != _post_state(workshop):
            # A labber changed the room while this post was on its way: follow them.
            contribution.status = _new_status(locked, author)
            contribution.prompt_id = locked.current_prompt_id
            contribution.save(update_fields=["status", "prompt"])
        contribution.workshop = locked
        crowd.note(locked, author, "posts", crowd.same_text(contribution.text), contribution)
        kept.append(contribution.mark_new())
        results[i] = (contribution, True)
    if dropped:
        Contribution.objects.filter(pk__in=dropped).delete()
    if kept:
        _publish_cards(locked, kept)
        transaction.on_commit(partial(after_posts, locked, [(c.pk, c.text) for c in kept]))
        for contribution in kept:
            # What the caller keeps is a plain object: votes and merges may come to it later.
            del contribution._prefetched_objects_cache


def set_status(
    contribution: Contribution,
    status: str,
    actor: Participant | None = None,
    *,
    expected_version: str | None = None,
) -> Contribution:
    """Approve (visible), hide or restore a contribution; every screen follows on commit."""
    with transaction.atomic():
        workshop = locked_workshop(contribution.workshop)
        contribution = _locked_contribution(workshop, contribution.pk, expected_version)
        before = contribution.status
        if before == status:
            return contribution
        contribution.status = status
        contribution.save(update_fields=["status", "updated_at"])
        log_change(
            workshop,
            actor,
            f"status:{status}",
            contribution=contribution,
            before=before,
            after=status,
            contributions=[_diff(contribution, {"status": before}, {"status": status})],
        )
        publish_cards(workshop, [contribution])
    return contribution


# --- Console moves on contributions. Each checks the version of the card the labber saw:
# two labbers acting on one card at once end in one state, and the second is told why. ---


def _locked_contribution(
    workshop: Workshop, pk: int, expected_version: str | None = None
) -> Contribution:
    try:
        contribution = (
            # of=self: PostgreSQL cannot lock the nullable side of the author join.
            Contribution.objects.select_for_update(of=("self",))
            .select_related("author", "workshop")
            .get(pk=pk, workshop=workshop)
        )
    except Contribution.DoesNotExist:
        raise ActionRefused(_("That post no longer exists."), "gone") from None
    if contribution.merged_into_id is not None:
        raise ActionRefused(
            _("Someone just merged this post into another one. Nothing was changed."), "stale"
        )
    if expected_version and expected_version != card_version(contribution):
        raise ActionRefused(
            _(
                "Someone else changed this post a moment ago. Nothing was changed: "
                "look at the card again and try once more."
            ),
            "stale",
        )
    return contribution


def _diff(contribution: Contribution, before: dict, after: dict) -> dict:
    return {"id": contribution.pk, "before": before, "after": after}


def publish_cards(
    workshop: Workshop,
    changed: Sequence[Contribution],
    removed: Sequence[int] = (),
    *,
    spotlight: bool = False,
) -> None:
    """One live event for cards that changed (or left the wall): every view upserts or
    deletes them; the projector's counts, the console's counts and log follow."""
    publish(
        workshop,
        "contribution.updated",
        {
            "cards": card_contexts(changed),
            "removed": list(removed),
            "counts": room_counts(workshop),
            "log": recent_log(workshop),
            "spotlight_changed": spotlight,
            "spotlight": spotlight_of(workshop) if spotlight else None,
            # A card merged, hidden or restored changes the console's probable duplicates.
            **similar_context(workshop),
        },
    )


def publish_room(workshop: Workshop, *, wall: bool = False) -> None:
    """One live event for the room's state (phase, prompt, timer, posting, layout, themes):
    the projector's region, the phones' prompt and the console's controls are re-rendered."""
    workshop.refresh_from_db()
    publish(workshop, "room.changed", {**room_context(workshop, wall=wall), "wall": wall})


def edit_text(
    contribution: Contribution,
    text: str,
    actor: Participant | None,
    *,
    expected_version: str | None = None,
) -> Contribution:
    """Fix a typo; the original stays in the edit history (ContributionEdit)."""
    with transaction.atomic():
        workshop = locked_workshop(contribution.workshop)
        contribution = _locked_contribution(workshop, contribution.pk, expected_version)
        before = contribution.text
        if text == before:
            return contribution
        ContributionEdit.objects.create(
            contribution=contribution, old_text=before, new_text=text, editor=actor
        )
        contribution.text = text
        contribution.save(update_fields=["text", "updated_at"])
        log_change(
            workshop,
            actor,
            "edit",
            contribution=contribution,
            contributions=[_diff(contribution, {"text": before}, {"text": text})],
        )
        publish_cards(workshop, [contribution], spotlight=contribution.spotlight)
    return contribution


def set_pinned(
    contribution: Contribution,
    pinned: bool,
    actor: Participant | None,
    *,
    expected_version: str | None = None,
) -> Contribution:
    with transaction.atomic():
        workshop = locked_workshop(contribution.workshop)
        contribution = _locked_contribution(workshop, contribution.pk, expected_version)
        if contribution.pinned == pinned:
            return contribution
        contribution.pinned = pinned
        contribution.save(update_fields=["pinned", "updated_at"])
        log_change(
            workshop,
            actor,
            "pin" if pinned else "unpin",
            contribution=contribution,
            contributions=[_diff(contribution, {"pinned": not pinned}, {"pinned": pinned})],
        )
        publish_cards(workshop, [contribution])
    return contribution


def set_spotlight(
    workshop: Workshop,
    contribution: Contribution | None,
    actor: Participant | None,
    *,
    expected_version: str | None = None,
) -> Contribution | None:
    """Show one contribution large on the projector (None: end the spotlight). Only one at a
    time: a new spotlight ends the one before."""
    with transaction.atomic():
        workshop = locked_workshop(workshop)
        target = None
        if contribution is not None:
            target = _locked_contribution(workshop, contribution.pk, expected_version)
            if target.status != Contribution.Status.VISIBLE:
                raise ActionRefused(
                    _("Only a post that is on the wall can be in the spotlight."), "hidden"
                )
            if target.spotlight:
                return target
        previous = list(
            Contribution.objects.select_for_update().filter(workshop=workshop, spotlight=True)
        )
        if not previous and target is None:
            return None
        diffs, changed = [], []
        for old in previous:
            old.spotlight = False
            old.save(update_fields=["spotlight", "updated_at"])
            diffs.append(_diff(old, {"spotlight": True}, {"spotlight": False}))
            changed.append(old)
        if target is not None:
            target.spotlight = True
            target.save(update_fields=["spotlight", "updated_at"])
            diffs.append(_diff(target, {"spotlight": False}, {"spotlight": True}))
            changed.append(target)
        log_change(
            workshop,
            actor,
            "spotlight" if target else "spotlight:off",
            contribution=target or (previous[0] if previous else None),
            contributions=diffs,
        )
        publish_cards(workshop, changed, spotlight=True)
    return target


def same_person(participant: Participant) -> QuerySet[Participant]:
    """The person's other phones in this workshop, where that can be known: the same browser
    session (a guest who came back as one more phone), the same email for updates, the same
    account. A fresh cookie with none of these is a stranger (README: Fairness)."""
    known = Q(pk=participant.pk)
    if participant.session_key:
        known |= Q(session_key=participant.session_key)
    if participant.email:
        known |= Q(email__iexact=participant.email)
    if participant.user_id:
        known |= Q(user_id=participant.user_id)
    return Participant.objects.filter(
        known, workshop_id=participant.workshop_id, role=Participant.Role.AUDIENCE
    )


def set_muted(
    participant: Participant,
    muted: bool,
    actor: Participant | None,
    *,
    hide_posts: bool = False,
) -> tuple[Participant, int]:
    """Stop (or let again) one person posting, on every phone of theirs that is known; what
    they already posted stays as it is, unless `hide_posts` takes it off the wall too (on
    every phone of theirs alike: one person flooding the wall from several phones). Returns
    the participant and how many posts were hidden; one log entry, undone as one."""
    with transaction.atomic():
        workshop = locked_workshop(participant.workshop)
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        if participant.role != Participant.Role.AUDIENCE:
            raise ActionRefused(_("Only someone in the audience can be muted."), "role")
        hide_posts = hide_posts and muted
        if participant.muted == muted and not hide_posts:
            return participant, 0
        everyone = list(same_person(participant).select_for_update())
        people = [person for person in everyone if person.muted != muted]
        for person in people:
            person.muted = muted
            person.save(update_fields=["muted"])
        participant.muted = muted
        hidden: list[Contribution] = []
        if hide_posts:
            hidden = list(
                Contribution.objects.select_for_update(of=("self",)).filter(
                    author__in=everyone,
                    workshop=workshop,
                    merged_into__isnull=True,
                    status__in=[Contribution.Status.VISIBLE, Contribution.Status.PENDING],
                )
            )
        diffs = []
        for contribution in hidden:
            diffs.append(_diff(contribution, {"status": contribution.status}, {"status": "hidden"}))
            contribution.status = Contribution.Status.HIDDEN
            contribution.save(update_fields=["status", "updated_at"])
        last = participant.contributions.order_by("-created_at").first()
        log_change(
            workshop,
            actor,
            "mute" if muted else "unmute",
            contribution=last,
            participants=[
                {"id": person.pk, "before": {"muted": not muted}, "after": {"muted": muted}}
                for person in people
            ],
            **({"contributions": diffs} if diffs else {}),
        )
        # The console marks their cards; the phones and the projector see no change, unless
        # their cards were hidden.
        cards = list(
            Contribution.objects.filter(author__in=everyone, merged_into__isnull=True).order_by(
                "-created_at"
            )[:60]
        )
        shown = {card.pk for card in cards}
        cards += [card for card in hidden if card.pk not in shown]
        publish_cards(workshop, cards)
    return participant, len(hidden)


def merge_contributions(
    keep: Contribution,
    duplicates: Sequence[tuple[Contribution, str | None]],
    actor: Participant | None,
    *,
    keep_version: str | None = None,
) -> Contribution:
    """Merge duplicates into `keep`: each merged card points to the one that stays, and its
    votes carry over (dots summed where one person voted on both). Its author is then named
    on the card that stays (see insights.cards.label_cards)."""
    with transaction.atomic():
        workshop = locked_workshop(keep.workshop)
        keep = _locked_contribution(workshop, keep.pk, keep_version)
        diffs, moved, summed, removed = [], [], [], []
        for duplicate, version in duplicates:
            if duplicate.pk == keep.pk:
                continue
            dup = _locked_contribution(workshop, duplicate.pk, version)
            for vote in Vote.objects.select_for_update().filter(contribution=dup):
                kept_vote = (
                    Vote.objects.select_for_update()
                    .filter(contribution=keep, participant_id=vote.participant_id)
                    .first()
                )
                if kept_vote is None:
                    vote.contribution = keep
                    vote.save(update_fields=["contribution"])
                    moved.append({"vote": vote.pk, "from": dup.pk})
                else:
                    kept_vote.dots += vote.dots
                    kept_vote.save(update_fields=["dots"])
                    summed.append(
                        {
                            "vote": kept_vote.pk,
                            "participant": vote.participant_id,
                            "dots": vote.dots,
                            "from": dup.pk,
                        }
                    )
                    vote.delete()
            # Cards merged into this one before now point to the one that stays, too.
            for earlier in Contribution.objects.select_for_update().filter(merged_into=dup):
                earlier.merged_into = keep
                earlier.save(update_fields=["merged_into", "updated_at"])
                diffs.append(_diff(earlier, {"merged_into": dup.pk}, {"merged_into": keep.pk}))
            dup.merged_into = keep
            dup.spotlight = False
            dup.save(update_fields=["merged_into", "spotlight", "updated_at"])
            diffs.append(
                _diff(
                    dup,
                    {"merged_into": None, "spotlight": duplicate.spotlight},
                    {"merged_into": keep.pk, "spotlight": False},
                )
            )
            removed.append(dup.pk)
        if not removed:
            raise ActionRefused(_("Select at least one other post to merge into this one."))
        keep.save(update_fields=["updated_at"])
        log_change(
            workshop,
            actor,
            "merge",
            contribution=keep,
            contributions=diffs,
            votes={"moved": moved, "summed": summed, "into": keep.pk},
            merged=removed,
        )
        publish_cards(workshop, [keep], removed, spotlight=True)
    return keep


def group_into_theme(
    workshop: Workshop,
    contributions: Sequence[Contribution],
    actor: Participant | None,
    *,
    name: str = "",
    theme: Theme | None = None,
) -> Theme | None:
    """Group contributions under a theme (a new one by `name`, or `theme`); with neither,
    take them out of their themes. The wall re-flows when it is shown by theme."""
    with transaction.atomic():
        workshop = locked_workshop(workshop)
        created = None
        if theme is None and name:
            theme = Theme.objects.filter(workshop=workshop, name__iexact=name).first()
            if theme is None:
                order = Theme.objects.filter(workshop=workshop).aggregate(m=Max("order"))["m"] or 0
                theme = created = Theme.objects.create(
                    workshop=workshop, name=name, order=order + 1
                )
        elif theme is not None and theme.workshop_id != workshop.pk:
            raise ActionRefused(_("That theme belongs to another workshop."))
        target = theme.pk if theme else None
        diffs = []
        for contribution in contributions:
            locked = _locked_contribution(workshop, contribution.pk)
            if locked.theme_id == target:
                continue
            diffs.append(_diff(locked, {"theme": locked.theme_id}, {"theme": target}))
            locked.theme_id = target
            locked.save(update_fields=["theme", "updated_at"])
        if not diffs and created is None:
            return theme
        log_change(
            workshop,
            actor,
            "theme" if theme else "theme:clear",
            contribution=contributions[0] if contributions else None,
            contributions=diffs,
            theme=target,
            theme_name=theme.name if theme else "",
            theme_created=created.pk if created else None,
        )
        publish_room(workshop, wall=True)
    return theme

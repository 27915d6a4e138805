"""Posting from a phone: the HTTP path here, and the helper the socket path shares."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from markupsafe import escape

from insights.actions.posts import Posted, post_contributions, told_in
from insights.duplicates import similar_on_wall
from insights.errors import ActionRefused
from insights.forms import ContributionForm, blank_form, post_form_context
from insights.models import Contribution
from labbet.batching import ThreadBatches
from labbet.compiled import by_pk
from labbet.jinja import render_fragment
from workshops.access import (
    get_workshop_or_404,
    join_audience,
    session_participant_id,
    still_allowed,
)
from workshops.models import Participant, Workshop
from workshops.views.join import phone_page, use_workshop_language

logger = logging.getLogger(__name__)


class PhonePost(NamedTuple):
    """One Send from a phone: who, what the form held, and the language to answer in (None:
    the one active)."""

    participant: Participant
    data: Mapping[str, Any]
    language: str | None = None


Outcome = tuple[ContributionForm, Contribution | None]
# One Send as it reaches a batch: who by their key, what the form held, the language.
Sent = tuple[int, Mapping[str, Any], str | None]


def senders(
    workshop_id: int, sent: Sequence[Sent], room: Workshop | None = None
) -> tuple[Workshop | None, list[PhonePost | None]]:
    """Who sent each post, in one query for the whole batch (a request or a socket knows
    only its person's key), and the room: `room` when the caller has just read it (a
    request), else read now, after the people (a socket opened long ago). None for a person
    who is gone, in another workshop, or who may no longer act as themselves (an invitation
    revoked or run out since their page or socket opened)."""
    # By statements compiled once (labbet/compiled.py): the ORM's look-up with the room joined
    # was an eighth of a lone post's cost.
    people = by_pk(Participant, [pid for pid, _data, _language in sent])
    workshop = room
    if workshop is None and any(p.workshop_id == workshop_id for p in people.values()):
        workshop = by_pk(Workshop, [workshop_id]).get(workshop_id)
    posts: list[PhonePost | None] = []
    for pid, data, language in sent:
        person = people.get(pid)
        if person is None or person.workshop_id != workshop_id or not still_allowed(person):
            posts.append(None)
            continue
        person.workshop = workshop  # one room object: what it read once serves every post
        posts.append(PhonePost(person, data, language))
    return workshop, posts


def answer_senders(
    workshop_id: int,
    sent: Sequence[Sent],
    answer: Callable[[Workshop, list[PhonePost]], Sequence[Any]],
    room: Workshop | None = None,
) -> list[Any]:
    """`answer(room, posts)` for the posts whose senders may still act (senders), as one
    batch, each result in its post's place; None in the place of the others. What the
    socket's batches and the HTTP requests' batches share."""
    workshop, posts = senders(workshop_id, sent, room)
    results: list[Any] = [None] * len(sent)
    allowed = [(i, post) for i, post in enumerate(posts) if post is not None]
    if workshop is None or not allowed:
        return results
    answered = answer(workshop, [post for _i, post in allowed])
    for (i, _post), result in zip(allowed, answered, strict=True):
        results[i] = result
    return results


def handle_posts(workshop: Workshop, posts: Sequence[PhonePost]) -> list[Outcome | Exception]:
    """Validate and save posts that arrived together (a room that presses Send at once); of
    each, (the form to show next, the saved contribution or None). The valid ones are saved
    in one transaction and one live event (post_contributions). A fault in one post is its
    outcome (an exception), not its neighbours'."""
    forms: list[ContributionForm] = []
    ready: list[int] = []
    for i, post in enumerate(posts):
        with told_in(post.language):
            form = ContributionForm(post.data, workshop=workshop)
            forms.append(form)
            if form.is_valid() and not _offered(workshop, post.participant, form):
                ready.append(i)
    saved = _save(workshop, [(posts[i], forms[i]) for i in ready])
    outcomes: list[Outcome | Exception] = [(form, None) for form in forms]
    for i, result in zip(ready, saved, strict=True):
        if isinstance(result, ActionRefused):
            forms[i].add_error(None, result.message)
        elif isinstance(result, Exception):
            outcomes[i] = result
        else:
            with told_in(posts[i].language):
                next_form = blank_form(workshop, posts[i].participant, previous=forms[i])
            outcomes[i] = (next_form, result[0])
    return outcomes


def _offered(workshop: Workshop, participant: Participant, form: ContributionForm) -> bool:
    """Very like a card on the wall: offer it (a dot instead, or send anyway); the text stays
    in the form, and the next send goes through. A resend of a saved post is its answer, not
    an offer."""
    if form.data.get("anyway"):
        return False
    form.offer = similar_on_wall(workshop, form.cleaned_data["text"], participant)
    return form.offer is not None and not _is_resend(participant, form)


def _save(
    workshop: Workshop, posts: Sequence[tuple[PhonePost, ContributionForm]]
) -> list[Posted | ActionRefused | Exception]:
    if not posts:
        return []
    new = [form.new_post(post.participant, post.language) for post, form in posts]
    try:
        return list(post_contributions(workshop, new))
    except Exception:
        if len(new) == 1:
            raise
    # The batch failed as a whole (rolled back): each post on its own, so that one post's
    # fault is told to its phone and the others are saved.
    logger.warning("a batch of %d posts failed; saving them one by one", len(new), exc_info=True)
    results: list[Posted | ActionRefused | Exception] = []
    for one in new:
        try:
            results.extend(post_contributions(workshop, [one]))
        except Exception as fault:  # handed to that post's phone
            results.append(fault)
    return results


def _is_resend(participant: Participant, form: ContributionForm) -> bool:
    key = form.cleaned_data.get("client_key")
    return bool(key) and Contribution.objects.filter(author=participant, client_key=key).exists()


def submit_posts(workshop: Workshop, posts: Sequence[PhonePost]) -> list[str | Exception]:
    """The socket's answers (out of band) to posts that arrived together, each in its
    phone's language; a post whose handling failed gets its exception."""
    answers: list[str | Exception] = []
    for post, outcome in zip(posts, handle_posts(workshop, posts), strict=True):
        if isinstance(outcome, Exception):
            answers.append(outcome)
            continue
        form, sent = outcome
        with told_in(post.language):
            answers.append(render_answer(workshop, post.participant, form, sent, oob=True))
    return answers


# The phone's answer to a post that went through (its thanks and its next, blank form), per
# what it shows besides the person's own values: the same for every phone of the room that
# chose the same kind and obstacle, in one language. Rendered once per such state, with
# stand-ins put where each answer's own values go (the next post's key, the sent post's key
# and card, the name); each answer puts its values in their place. A post's own render cost
# 0.48 ms with the CPU's caches emptied, as the server's idle moments between posts leave
# them (0.15 warm). Measured in process, the post path side by side with its parent on the
# other core, caches emptied between posts: 4.11/3.99 -> 3.76/3.68 ms a post. Kept in this
# process, as the kept obstacles are (challenges/kept.py), not in the rooms' cache that the
# phone's page shares across processes (workshops/regions.py: phone_room): a Redis round trip
# would cost more than the render it saves.
_ANSWERS: dict[tuple, str] = {}
_ANSWERS_KEPT = 256
# Random per process, of hex digits: escaping leaves them as they are, and no person's text
# can hold them without knowing them.
_NEXT_KEY, _SENT_KEY, _SENT_CARD, _NAME = (secrets.token_hex(16) for _ in range(4))


def render_answer(
    workshop: Workshop,
    participant: Participant,
    form: ContributionForm,
    sent: Contribution | None,
    oob: bool,
) -> str:
    """`_post_form.html` for this answer: from the room's rendered answer when the post went
    through and the form is the next, blank one (no errors, no offer), else rendered."""
    context = post_form_context(workshop, participant, form, sent, oob=oob)
    if sent is None or form.is_bound:
        return render_fragment("insights/_post_form.html", context)
    initial = form.initial
    name = initial.get("display_name") or ""
    key = (
        translation.get_language(),
        get_script_prefix(),
        settings.LABBET_MAX_CONTRIBUTION_LENGTH,
        workshop.pk,
        workshop.created_at,
        workshop.code,
        workshop.challenges_version,  # its obstacles, as the form offers them
        initial.get("kind"),
        initial.get("obstacle"),
        bool(name),
        participant.muted,
        context["locked_message"],  # empty when the phone can post
        sent.status,
        sent.kind,
        oob,
    )
    shown = _ANSWERS.get(key)
    if shown is None:
        stand_in = ContributionForm(
            workshop=workshop,
            initial={**initial, "client_key": _NEXT_KEY, "display_name": _NAME if name else name},
        )
        context["form"] = stand_in
        context["sent"] = SimpleNamespace(
            pk=_SENT_CARD, client_key=_SENT_KEY, status=sent.status, kind=sent.kind
        )
        shown = render_fragment("insights/_post_form.html", context)
        if len(_ANSWERS) >= _ANSWERS_KEPT:
            _ANSWERS.clear()
        _ANSWERS[key] = shown
    return (
        shown.replace(_NEXT_KEY, str(escape(initial.get("client_key") or "")))
        .replace(_SENT_KEY, str(escape(sent.client_key)))
        .replace(_SENT_CARD, str(sent.pk))
        .replace(_NAME, str(escape(name)))
    )


class Answered(NamedTuple):
    """A request's post handled in its batch: the room and person as the batch read them."""

    workshop: Workshop
    participant: Participant
    form: ContributionForm
    sent: Contribution | None


def _answered(workshop: Workshop, posts: list[PhonePost]) -> list[Answered | Exception]:
    return [
        outcome
        if isinstance(outcome, Exception)
        else Answered(workshop, post.participant, *outcome)
        for post, outcome in zip(posts, handle_posts(workshop, posts), strict=True)
    ]


def _handle_together(
    workshop_id: int, requests: Sequence[tuple[Workshop, Sent]]
) -> list[Answered | Exception | None]:
    # The room as the batch's first request read it, a moment ago (the action reads it again
    # under its lock).
    sent = [one for _workshop, one in requests]
    return answer_senders(workshop_id, sent, _answered, room=requests[0][0])


# The posts of requests that arrive while this process saves earlier ones are saved together.
_posts_together = ThreadBatches(_handle_together)


def _send(request: HttpRequest, workshop: Workshop) -> Answered:
    """This request's post, handed to the batch by its person's key alone: the batch reads
    the people and the room once for all its posts. A phone without a person yet (it posts
    before its page was ever shown) or a guest whose link ended is made one as the page would
    make it, and sends again."""
    language = translation.get_language()
    pid = session_participant_id(request.session, workshop)
    answer = None
    if pid is not None:
        answer = _posts_together.submit(workshop.pk, (workshop, (pid, request.POST, language)))
    if answer is None:
        participant = join_audience(request, workshop)
        one = (participant.pk, request.POST, language)
        answer = _posts_together.submit(workshop.pk, (workshop, one))
    if answer is None:  # the room is gone meanwhile
        raise Http404("No workshop with that code")
    return answer


@require_POST
def post(request: HttpRequest, code: str) -> HttpResponse:
    workshop = get_workshop_or_404(code, request)
    use_workshop_language(request, workshop)
    workshop, participant, form, sent = _send(request, workshop)
    if request.htmx:
        return HttpResponse(render_answer(workshop, participant, form, sent, oob=False))
    # Without JavaScript: post, redirect, get — or the whole page with the errors.
    if sent is not None:
        messages.success(request, _("Thank you! Your post arrived."))
        return redirect("workshops:join", code=workshop.code)
    status = 200 if getattr(form, "offer", None) else 400
    return phone_page(request, workshop, participant, form=form, status=status)

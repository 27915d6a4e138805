"""Abuse limits, counted in Django's cache: how fast one phone, and all the phones of one
network, may post and move dots; how many new phones one address may bring in; and how many
unknown join codes an address or a browser may try (the right code of an open workshop always
works). README: Fairness behind one address.

Rates are `(count, seconds)` in `settings.LABBET_RATE_LIMITS`; a missing or None rate is no
limit. Counters are fixed windows in the default cache: with the local-memory cache they are
per process (several daphne processes each allow the rate), with `REDIS_URL` they are shared.

Posting and voting are checked inside their actions (`insights/actions/posts.py` and
`votes.py`), so the HTTP post and the websocket post meet the same limit and the same kind of
refusal (`ActionRefused`) as any other. Joins and code guessing are checked by `LimitsMiddleware`,
before any view looks a code up."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _

from insights.errors import ActionRefused
from labbet.addresses import client_address
from workshops.access import SESSION_KEY, find_workshop

logger = logging.getLogger(__name__)

LIMITED = "limited"
# Set while a trusted command (the demo's replay of a whole workshop) posts on people's behalf.
_suspended: ContextVar[bool] = ContextVar("labbet_limits_suspended", default=False)


@contextmanager
def suspended() -> Iterator[None]:
    """No limits inside: for commands that replay a workshop, never for requests."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


# The audience's routes: each makes a participant for a browser that has none in the workshop.
JOIN_ROUTES = {
    "workshops:join",
    "insights:post",
    "insights:vote",
    "insights:contributor-email",
}


def rate(name: str) -> tuple[int, int] | None:
    if _suspended.get():
        return None
    value = (getattr(settings, "LABBET_RATE_LIMITS", None) or {}).get(name)
    if not value:
        return None
    count, seconds = value
    return int(count), int(seconds)


def _window_key(name: str, who: str, seconds: int) -> str:
    return f"labbet:limit:{name}:{who}:{int(time.time() // seconds)}"


def over(name: str, who: str) -> bool:
    """Whether `who` has already used up rate `name` in this window (nothing is counted)."""
    limit = rate(name)
    if limit is None:
        return False
    count, seconds = limit
    try:
        return (cache.get(_window_key(name, who, seconds)) or 0) >= count
    except Exception:
        # The cache is Redis in scale-out; while it is down, let people in rather than lose
        # their posts (the limits are a guard against abuse, not a reason to drop the room).
        logger.warning("limits: the cache is unavailable; %s not checked", name, exc_info=True)
        return False


def hit(name: str, who: str) -> bool:
    """Count one more for `who` under rate `name`; True while that stays within the rate."""
    limit = rate(name)
    if limit is None:
        return True
    count, seconds = limit
    key = _window_key(name, who, seconds)
    try:
        # add() starts the window with this one (one round trip to Redis: the usual case
        # for a phone's posts); in a running window, incr() counts it, atomically in Redis
        # and under the local-memory cache's lock.
        if cache.add(key, 1, timeout=seconds + 1):
            used = 1
        else:
            try:
                used = cache.incr(key)
            except ValueError:  # the key expired between the two calls: a fresh window
                cache.add(key, 1, timeout=seconds + 1)
                used = 1
    except Exception:
        logger.warning("limits: the cache is unavailable; %s not counted", name, exc_info=True)
        return True  # fail open: see over()
    return used <= count


# --- In the actions (both the HTTP and the websocket path). ---


def check_post_rate(author) -> None:
    """Refuse a post when this phone has posted too often lately, or its network has (the
    ceiling a whole hall behind one address stays under; README: Fairness). Labbers are not
    limited: they type in what the room says."""
    if author.is_labber:
        return
    if not hit("post", f"p{author.pk}"):
        raise ActionRefused(
            _(
                "You are posting very fast. Wait half a minute and send again; "
                "your text is kept here."
            ),
            LIMITED,
        )
    if author.network and not hit("post_network", author.network):
        raise ActionRefused(
            _(
                "Very many posts are arriving from this network right now. Wait a moment and "
                "send again; your text is kept here."
            ),
            LIMITED,
        )


def check_vote_rate(participant) -> None:
    if not hit("vote", f"p{participant.pk}"):
        raise ActionRefused(
            _("You are moving dots very fast. Wait a moment and try again."), LIMITED
        )
    if participant.network and not hit("vote_network", participant.network):
        raise ActionRefused(
            _("Very many dots are being moved from this network right now. Try again shortly."),
            LIMITED,
        )


# --- Joins and join codes, before the views. ---


def refused(request: HttpRequest, name: str, message: str, code: str = "") -> HttpResponse:
    """The front door with the reason, as 429 (also what a phone sees at /j/<CODE>/)."""
    response = render(
        request, "workshops/home.html", {"code": code[:12], "error": message}, status=429
    )
    response["Retry-After"] = str((rate(name) or (0, 60))[1])
    return response


def _unknown_code(request: HttpRequest, code: str) -> bool:
    return find_workshop(code, request) is None


def _membership(request: HttpRequest, code: str) -> tuple[bool, bool, bool]:
    """(this browser has joined some workshop, the code names a workshop, it has joined that
    one): read once per request, however many limits ask."""
    known = getattr(request, "_labbet_membership", None)
    if known is None:
        mapping = request.session.get(SESSION_KEY) or {}
        workshop = find_workshop(code, request) if mapping else None
        known = (
            bool(mapping),
            workshop is not None,
            workshop is not None and str(workshop.pk) in mapping,
        )
        request._labbet_membership = known
    return known


def _new_in_workshop(request: HttpRequest, code: str) -> bool:
    """Whether the audience view would make a new participant for this browser."""
    if request.user.is_authenticated:
        return False
    joined_any, exists, joined_this = _membership(request, code)
    return not joined_any or (exists and not joined_this)


def _already_in(request: HttpRequest, code: str) -> bool:
    """Signed-in people, and phones already in this very workshop, are not locked out by
    someone guessing at the same address (a venue's wifi is one address). A session in some
    other workshop is no pass: joining one workshop must not buy unlimited guesses."""
    return request.user.is_authenticated or _membership(request, code)[2]


def _guessing(request: HttpRequest, address: str) -> bool:
    """Whether this browser, or its network, has tried too many unknown codes lately."""
    session_key = request.session.session_key
    return over("code_guess", address) or bool(
        session_key and over("code_guess_session", session_key)
    )


def _welcome(request: HttpRequest, code: str) -> bool:
    """Who a guessing network or browser still lets through: signed-in people, phones already
    in this very workshop, and anyone with a well-formed code of an open workshop (the right
    code always works: a venue's wifi is one address, and audience typos or one guesser must
    not keep latecomers out). Everything else gets the same refusal, whether the code names
    a closed workshop or none at all: a guesser learns only what a correct code always shows."""
    if _already_in(request, code):
        return True
    workshop = find_workshop(code, request)
    return workshop is not None and not workshop.is_closed


class LimitsMiddleware(MiddlewareMixin):
    """Counts unknown join codes and new phones per address; refuses with a clear page."""

    @staticmethod
    def _code(request: HttpRequest, view_kwargs: dict) -> str | None:
        if "code" in view_kwargs:
            return str(view_kwargs["code"])
        match = request.resolver_match
        if match is not None and match.view_name == "home" and request.GET.get("code"):
            return request.GET["code"]
        return None

    def process_view(self, request, view_func, view_args, view_kwargs):
        code = self._code(request, view_kwargs)
        if code is None:
            return None
        address = client_address(request)
        if _guessing(request, address) and not _welcome(request, code):
            return refused(
                request,
                "code_guess",
                _(
                    "Too many unknown codes were tried from this network. Wait a few minutes, "
                    "then type the code again."
                ),
                code,
            )
        match = request.resolver_match
        if (
            match is not None
            and match.view_name in JOIN_ROUTES
            and rate("join") is not None
            and _new_in_workshop(request, code)
            and not hit("join", address)
        ):
            return refused(
                request,
                "join",
                _(
                    "Very many phones have just joined from this network. Wait a minute, "
                    "then open the link again."
                ),
                code,
            )
        return None

    def process_response(self, request, response):
        # Only a 404 for a code that names no workshop is a guess (not a report that is not
        # public yet, nor a card that is gone).
        if response.status_code == 404 and rate("code_guess") is not None:
            match = request.resolver_match
            code = None
            if match is not None:
                code = self._code(request, match.kwargs)
            if code is not None and _unknown_code(request, code):
                hit("code_guess", client_address(request))
                session_key = request.session.session_key
                if session_key:
                    hit("code_guess_session", session_key)
        return response

"""Who may use what, for every URL pattern and every websocket route: one table, one row per
route, one column per role. A route without a row fails the test: whoever adds a URL decides
who may use it, here.

The roles: a stranger; the audience of this workshop and of another one; this workshop's
challenger and receiver (through their personal links); a receiver whose link a labber has
revoked (the browser still remembers it: revoking locks them out at once); a labber of this
workshop and of another one; and staff (the operator, a superuser).

Outcomes: `ok` the request passes (2xx, or a redirect that is not to a sign-in page), `login`
a redirect to sign in, or the status code the role gets (403, 404, 405, 409). Sockets are
opened through the real ASGI application (origin check, sessions, routing): `yes` accepted,
`no` refused."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from insights.actions.claims import claim_suggestion
from insights.actions.posts import set_pinned
from insights.actions.votes import open_voting
from labbet.routing import websocket_urlpatterns
from tests.factories import make_audience, make_receiver, make_user, make_workshop, post
from tests.live import connect, db
from workshops.access import SESSION_KEY
from workshops.actions.invites import revoke_invite
from workshops.models import LogEntry, Participant

ROLES = (
    "anonymous",
    "audience",
    "audience elsewhere",
    "challenger",
    "receiver",
    "revoked receiver",
    "labber",
    "labber elsewhere",
    "staff",
)
HTMX = {"HTTP_HX_REQUEST": "true"}

# Columns in the order of ROLES.
EVERYONE = "ok ok ok ok ok ok ok ok ok"
LABBERS = "403 403 403 403 403 403 ok 403 ok"  # this workshop's labbers (and staff)
SIGNED_IN = "login login login login login login ok ok ok"
READERS = "404 404 404 ok ok 404 ok 404 ok"  # an unpublished report: its people only
STAFF_ONLY = "login login login login login login 403 403 ok"
CHALLENGER = "403 403 403 ok 403 403 403 403 403"  # through this workshop's challenger link
ADMIN = "login login login login login login login login ok"  # Django's admin: staff only


# --- The world every request runs in (rolled back after each one). ---


@dataclass
class World:
    code: str
    other_code: str
    projector_key: str
    challenge: int
    obstacle: int
    suggestion: int
    unclaimed: int
    claim: int
    log_entry: int
    challenger: int
    challenger_token: str
    sessions: dict[str, str | None] = field(default_factory=dict)
    staff_user: int = 1


def session_for(participant: Participant) -> str:
    session = SessionStore()
    session[SESSION_KEY] = {str(participant.workshop_id): participant.pk}
    session.create()
    return session.session_key


def login_session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def build_world() -> World:
    lena, olle = make_user("lena"), make_user("olle")
    root = make_user("root", staff=True)
    root.is_superuser = True
    root.save()
    workshop = make_workshop(labber_user=lena)
    elsewhere = make_workshop(labber_user=olle)
    audience = make_audience(workshop)
    challenger = workshop.participants.get(role=Participant.Role.CHALLENGER)
    receiver = make_receiver(workshop)
    revoked = revoke_invite(make_receiver(workshop, organisation="Former partner"))
    labber = workshop.participants.get(user=lena)
    suggestion = post(workshop, audience, text="Pilots with citizens")
    unclaimed = post(workshop, audience, text="Open data")
    claim = claim_suggestion(suggestion, receiver)
    set_pinned(suggestion, True, labber)
    # Late joiners may vote: every role's browser is a new phone when it votes, and this
    # table is about roles (who may vote by when they joined: tests/test_votes.py).
    open_voting(workshop, labber, dots_per_person=5, late_voters=True)
    challenge = workshop.challenges.get()
    return World(
        staff_user=root.pk,
        code=workshop.code,
        other_code=elsewhere.code,
        projector_key=workshop.projector_token,
        challenge=challenge.pk,
        obstacle=challenge.obstacles.first().pk,
        suggestion=suggestion.pk,
        unclaimed=unclaimed.pk,
        claim=claim.pk,
        log_entry=LogEntry.objects.filter(workshop=workshop, action__contains="pin").get().pk,
        challenger=challenger.pk,
        challenger_token=challenger.invite_token,
        sessions={
            "anonymous": None,
            "audience": session_for(audience),
            "audience elsewhere": session_for(make_audience(elsewhere)),
            "challenger": session_for(challenger),
            "receiver": session_for(receiver),
            "revoked receiver": session_for(revoked),
            "labber": login_session(lena),
            "labber elsewhere": login_session(olle),
            "staff": login_session(root),
        },
    )


# --- The HTTP table. ---


@dataclass
class Case:
    method: str
    kwargs: Any = None  # a function of the World, or None
    data: Any = None  # a function of the World, a dict, or None
    expect: str = EVERYONE
    query: str = ""
    label: str = ""


def get(expect: str = EVERYONE, kwargs=None, query: str = "", label: str = "") -> Case:
    return Case("GET", kwargs, None, expect, query, label)


def post_(expect: str, kwargs=None, data=None, query: str = "", label: str = "") -> Case:
    return Case("POST", kwargs, data, expect, query, label)


def code(w: World) -> dict:
    return {"code": w.code}


def card(w: World) -> dict:
    return {"code": w.code, "pk": w.suggestion}


def console_move(data=None) -> Case:
    return post_(LABBERS, code, data or {})


def card_move(data) -> Case:
    return post_(LABBERS, card, data)


MATRIX: dict[str, list[Case]] = {
    # The front door and accounts.
    "home": [get(), get(query="code={code}", label="a known join code")],
    "healthz": [get()],
    # The link in an automatic email works without an account; a forged one for no one.
    "unsubscribe": [
        get("404 404 404 404 404 404 404 404 404", lambda w: {"token": "MQ:forged:x"}),
    ],
    "login": [get()],
    "logout": [post_(EVERYONE)],
    "password_reset": [get()],
    "password_reset_done": [get()],
    "password_reset_confirm": [get(kwargs=lambda w: {"uidb64": "MQ", "token": "set-password"})],
    "password_reset_complete": [get()],
    "signup": [get("404 404 404 404 404 404 404 404 404")],  # LABBET_OPEN_SIGNUP is off
    "labber-create": [get(STAFF_ONLY)],
    "set_language": [post_(EVERYONE, data={"language": "sv", "next": "/"})],
    "insights:archive": [get()],
    # The phone: public, no account; a phone that posts or votes first joins.
    "workshops:join": [get(kwargs=code)],
    "insights:post": [
        post_(EVERYONE, code, {"kind": "insight", "text": "A thought", "client_key": "m1"})
    ],
    # Dots are the audience's: a new phone joins and votes; the invited and labbers get 409.
    # A receiver whose link was revoked is one more phone in the room, with its dots.
    "insights:vote": [
        post_(
            "ok ok ok 409 409 ok 409 ok 409",
            code,
            lambda w: {"contribution": w.suggestion, "op": "add"},
        )
    ],
    "insights:contributor-email": [post_(EVERYONE, code, {"email": "me@example.org"})],
    # The projector: its secret link, or a labber.
    "workshops:projector": [
        get(LABBERS, code),
        get(EVERYONE, code, query="key={key}", label="with its secret link"),
        get(LABBERS, code, query="key=wrong", label="with a wrong key"),
    ],
    "workshops:projector-counts": [
        get(LABBERS, code),
        get(EVERYONE, code, query="key={key}", label="with its secret link"),
    ],
    # Only the secret link counts as "the projector opened" (not a labber's own look).
    "workshops:projector-opened": [
        post_("403 403 403 403 403 403 403 403 403", code),
        post_(EVERYONE, code, query="key={key}", label="with its secret link"),
    ],
    # The report: its labbers, challengers and receivers until a labber publishes it.
    "workshops:report": [get(READERS, code)],
    "workshops:report-md": [get(READERS, code)],
    "workshops:report-csv": [get(READERS, code)],
    "workshops:report-json": [get(READERS, code)],
    "workshops:report-xlsx": [get(READERS, code)],
    "workshops:report-pdf": [get(READERS, code)],
    "workshops:report-publish": [post_(LABBERS, code, {"public": "on"})],
    # The labber's preparation.
    "workshops:dashboard": [get(SIGNED_IN)],
    "workshops:create": [get(SIGNED_IN)],
    "workshops:duplicate": [post_(LABBERS, code)],
    "workshops:setup": [get(LABBERS, code)],
    "workshops:setup-details": [
        post_(
            LABBERS,
            code,
            {
                "question": "How?",
                "language": "en",
                "moderation": "open",
                "dots_per_person": "3",
            },
        )
    ],
    "workshops:setup-challenge-add": [post_(LABBERS, code, {"title": "Another"})],
    "workshops:setup-challenge-delete": [
        post_(LABBERS, lambda w: {"code": w.code, "pk": w.challenge})
    ],
    "workshops:setup-obstacle-add": [
        post_(LABBERS, lambda w: {"code": w.code, "pk": w.challenge}, {"text": "Budget"})
    ],
    "workshops:setup-obstacle-move": [
        post_(LABBERS, lambda w: {"code": w.code, "pk": w.obstacle}, {"step": "1"})
    ],
    "workshops:setup-obstacle-delete": [
        post_(LABBERS, lambda w: {"code": w.code, "pk": w.obstacle})
    ],
    "workshops:setup-colabber": [post_(LABBERS, code, {"account": "olle"})],
    # A challenge's row on the setup page (issue 21).
    "challenges:setup-challenger": [
        post_(
            LABBERS,
            lambda w: {"code": w.code, "pk": w.challenge},
            lambda w: {"challenger": w.challenger},
        )
    ],
    "challenges:setup-invite": [
        post_(LABBERS, lambda w: {"code": w.code, "pk": w.challenge}, {"name": "Anna"})
    ],
    "challenges:setup-seen": [post_(LABBERS, lambda w: {"code": w.code, "pk": w.challenge})],
    "challenges:setup-reword": [
        post_(LABBERS, lambda w: {"code": w.code, "pk": w.obstacle}, {"text": "Walls"})
    ],
    # The challenger prepares their own challenge through their personal link.
    "challenges:prepare-challenge": [
        post_(CHALLENGER, lambda w: {"code": w.code, "pk": w.challenge}, {"title": "Ours"})
    ],
    "challenges:prepare-obstacle-add": [
        post_(CHALLENGER, lambda w: {"code": w.code, "pk": w.challenge}, {"text": "Budget"})
    ],
    "challenges:prepare-obstacle-reword": [
        post_(CHALLENGER, lambda w: {"code": w.code, "pk": w.obstacle}, {"text": "Walls"})
    ],
    "challenges:prepare-obstacle-move": [
        post_(CHALLENGER, lambda w: {"code": w.code, "pk": w.obstacle}, {"step": "1"})
    ],
    "challenges:prepare-obstacle-remove": [
        post_(CHALLENGER, lambda w: {"code": w.code, "pk": w.obstacle})
    ],
    "challenges:follow-up": [
        post_(CHALLENGER, lambda w: {"code": w.code, "pk": w.challenge}, {"text": "We did"})
    ],
    "workshops:poster": [get(LABBERS, code)],
    # The console and its moves.
    "workshops:console": [get(LABBERS, code)],
    "workshops:console-preview": [get(LABBERS, code)],
    "workshops:console-log": [get(LABBERS, code)],
    "workshops:console-theme-proposals": [get(LABBERS, code)],
    "workshops:console-undo": [post_(LABBERS, lambda w: {"code": w.code, "pk": w.log_entry})],
    "workshops:console-phase": [console_move({"phase": "insights"})],
    "workshops:console-prompt": [console_move({"text": "Who?"})],
    "workshops:console-prompt-clear": [console_move()],
    "workshops:console-moderation": [console_move({"moderation": "pre"})],
    "workshops:console-posting": [console_move({"open": "0"})],
    "workshops:console-timer": [console_move({"op": "start", "minutes": "3"})],
    "workshops:console-timer-expire": [console_move()],
    "workshops:console-layout": [console_move({"wall_layout": "kind"})],
    "workshops:console-paging": [console_move({"turn": "0"})],
    "workshops:console-projector-theme": [console_move({"projector_theme": "dark"})],
    "workshops:console-spotlight-clear": [console_move()],
    "workshops:console-close": [console_move()],
    "workshops:console-merge": [
        console_move(lambda w: {"keep": w.suggestion, "selected": [str(w.unclaimed)]})
    ],
    "workshops:console-themes": [
        console_move(lambda w: {"name": "Trust", "selected": [str(w.suggestion)]})
    ],
    "workshops:console-themes-clear": [console_move(lambda w: {"selected": [str(w.suggestion)]})],
    "workshops:console-status": [card_move({"status": "hidden"})],
    "workshops:console-edit": [card_move({"text": "Changed"})],
    "workshops:console-spotlight": [card_move({"on": "1"})],
    "workshops:console-pin": [card_move({"on": "0"})],
    "workshops:console-mute": [card_move({"on": "1"})],
    "insights:voting-open": [post_(LABBERS, code, {"dots_per_person": "4"})],
    "insights:voting-close": [post_(LABBERS, code)],
    # Invitations: the labbers' list; the personal link is the credential itself.
    "workshops:invites": [get(LABBERS, code)],
    "workshops:invite-send": [post_(LABBERS, lambda w: {"code": w.code, "pk": w.challenger})],
    "workshops:invite-revoke": [post_(LABBERS, lambda w: {"code": w.code, "pk": w.challenger})],
    "workshops:invite-renew": [post_(LABBERS, lambda w: {"code": w.code, "pk": w.challenger})],
    "workshops:invite": [get(EVERYONE, lambda w: {"token": w.challenger_token})],
    # Receivers and challengers: their own pages, through their personal links.
    "workshops:receiver": [get("403 403 403 403 ok 403 403 403 403")],
    "workshops:challenger": [get("403 403 403 ok 403 403 403 403 403", code)],
    "insights:handover": [get("403 403 403 403 ok 403 403 403 403", code)],
    "insights:claim": [
        post_("403 403 403 403 ok 403 403 403 403", code, lambda w: {"contribution": w.unclaimed})
    ],
    # The follow-up: public; one claim's page for its receiver, challenger and labbers.
    "insights:follow-up": [get(EVERYONE, code)],
    "insights:claim-detail": [
        get("403 403 403 ok ok 403 ok 403 ok", lambda w: {"pk": w.claim}),
    ],
    "insights:claim-withdraw": [
        post_("403 403 403 403 ok 403 ok 403 ok", lambda w: {"pk": w.claim}),
    ],
    "insights:claim-follow-up": [
        post_("403 403 403 ok ok 403 ok 403 ok", lambda w: {"pk": w.claim}, {"text": "We met."}),
    ],
    # Django's admin (every pattern it registers): staff only; its sign-in page is open.
    "admin:login": [get()],
    "admin:logout": [post_("ok ok ok ok ok ok ok ok ok")],
    "admin:*": [get(ADMIN)],
    # With made-up values: staff get past the sign-in and then find nothing there.
    "admin:autocomplete": [get(ADMIN.replace("ok", "403"), label="without a field to complete")],
    # django-axes keeps its sign-in records read-only: nobody adds one by hand.
    **{
        f"admin:axes_{model}_add": [get(ADMIN.replace("ok", "403"), label="(read-only records)")]
        for model in ("accessattempt", "accesslog", "accessfailurelog")
    },
    "admin:view_on_site": [get(ADMIN.replace("ok", "404"), label="of an object that is not")],
    "admin/(?P<url>.*)$": [get(ADMIN.replace("ok", "404"), label="(the catch-all)")],
}


# --- Walking the URL patterns. ---


@dataclass
class Route:
    name: str  # "namespace:name", or the route itself when it has no name
    namespace: str
    route: str  # the whole pattern, from the root
    named: bool


def walk(patterns, prefix: str = "", namespace: str = "") -> list[Route]:
    routes = []
    for entry in patterns:
        text = str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = ":".join(filter(None, [namespace, entry.namespace]))
            routes += walk(entry.url_patterns, prefix + text, ns)
        elif isinstance(entry, URLPattern):
            qualified = ":".join(filter(None, [namespace, entry.name])) if entry.name else ""
            routes.append(
                Route(qualified or prefix + text, namespace, prefix + text, bool(qualified))
            )
    return routes


def cases_for(route: Route) -> list[Case]:
    if route.name in MATRIX:
        return MATRIX[route.name]
    if route.namespace == "admin":
        return MATRIX["admin:*"]
    pytest.fail(f"add a row for {route.name!r} ({route.route}) to MATRIX in {__file__}")


ADMIN_VALUES = {"object_id": "1", "content_type_id": "1", "id": "1", "url": "no-such-page/"}


def admin_path(route: Route, world: World) -> str:
    """A concrete address for any admin pattern, named or not (its values do not matter:
    who may not use the admin is sent to sign in before anything is looked up). A user's
    `id` is the staff user's own: ids are not 1 when other tests ran first (PostgreSQL's
    sequences are not rolled back)."""
    values = {**ADMIN_VALUES, "id": str(world.staff_user)}

    def group(match: re.Match) -> str:
        name, body = match.group(1), match.group(2)
        return body.split("|")[0] if name == "app_label" else values.get(name, "1")

    path = re.sub(r"\(\?P<(\w+)>([^)]*)\)", group, route.route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "1"), path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\", "")


def path_of(route: Route, case: Case, world: World) -> str:
    if route.namespace == "admin":
        path = admin_path(route, world)
    else:
        kwargs = case.kwargs(world) if case.kwargs else {}
        path = reverse(route.name, kwargs=kwargs)
    if case.query:
        path += "?" + case.query.format(code=world.code, key=world.projector_key)
    return path


def outcome(response) -> str:
    status = response.status_code
    if 300 <= status < 400:
        location = response.get("Location", "")
        if "/accounts/login/" in location or "/admin/login/" in location:
            return "login"
        return "ok"
    if 200 <= status < 300:
        return "ok"
    return str(status)


def request(route: Route, case: Case, world: World, role: str) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if world.sessions[role]:
        client.cookies["sessionid"] = world.sessions[role]
    path = path_of(route, case, world)
    cache.clear()
    with transaction.atomic():
        if case.method == "GET":
            response = client.get(path)
        else:
            data = case.data(world) if callable(case.data) else (case.data or {})
            response = client.post(path, data, **HTMX)
        transaction.set_rollback(True)  # the next request finds the same world
    return outcome(response)


@pytest.mark.slow
@pytest.mark.django_db
# The admin's add pages build Django's URLField, which warns about Django 6's https default.
@pytest.mark.filterwarnings("ignore:The default scheme will be changed:DeprecationWarning")
def test_every_url_pattern_has_a_row_and_every_role_gets_what_the_row_says(monkeypatch):
    # Who may have the PDF is decided before it is drawn; drawing it 4 times is just slow.
    monkeypatch.setattr("workshops.views.report.to_pdf", lambda html: b"%PDF-1.7")
    world = build_world()
    routes = walk(get_resolver().url_patterns)
    assert len(routes) > 80
    unnamed = [r.route for r in routes if not r.named]
    assert all(r.startswith("admin/") for r in unnamed), f"name these URL patterns: {unnamed}"
    problems = []
    checked = 0
    for route in routes:
        for case in cases_for(route):
            expected = dict(zip(ROLES, case.expect.split(), strict=True))
            for role in ROLES:
                got = request(route, case, world, role)
                checked += 1
                if got != expected[role]:
                    where = f"{route.name} {case.label}".strip()
                    problems.append(f"{where} as {role}: expected {expected[role]}, got {got}")
    assert not problems, "\n".join(problems)
    assert checked >= len(routes) * len(ROLES)


def test_the_table_has_no_row_for_a_route_that_is_gone():
    names = {r.name for r in walk(get_resolver().url_patterns)}
    stale = [name for name in MATRIX if name != "admin:*" and name not in names]
    assert not stale, f"remove the rows for {stale}"


# --- The websocket table. ---

YES_NO = {"yes": True, "no": False}

# Per route name: (query, origin, expected per role). A socket needs a session that is in the
# workshop (the phone page makes it): a labber's sign-in alone does not open the phone view.
SOCKETS: dict[str, list[tuple[str, str, str]]] = {
    "ws-workshop": [
        # A revoked receiver's browser gets a fresh phone on the page, never their socket.
        ("view=phone", "http://testserver", "no yes no yes yes no no no no"),
        ("view=projector", "http://testserver", "no no no no no no yes no yes"),
        ("view=projector&key={key}", "http://testserver", "yes yes yes yes yes yes yes yes yes"),
        ("view=projector&key=wrong", "http://testserver", "no no no no no no yes no yes"),
        ("view=console", "http://testserver", "no no no no no no yes no yes"),
        ("view=nothing", "http://testserver", "no no no no no no no no no"),
        # Another site's page may not open any of them (cross-site websocket hijacking).
        ("view=console", "https://evil.example", "no no no no no no no no no"),
        ("view=phone", "https://evil.example", "no no no no no no no no no"),
        ("view=projector&key={key}", "https://evil.example", "no no no no no no no no no"),
    ],
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_every_websocket_route_has_a_row_and_every_role_gets_what_the_row_says():
    world = await db(build_world)()
    problems = []
    for pattern in websocket_urlpatterns:
        if pattern.name not in SOCKETS:
            pytest.fail(f"add a row for websocket route {pattern.name!r} to SOCKETS")
        for query, origin, expect in SOCKETS[pattern.name]:
            expected = dict(zip(ROLES, expect.split(), strict=True))
            view = dict(part.split("=") for part in query.split("&"))
            for role in ROLES:
                communicator, connected, _ = await connect(
                    world.code,
                    view=view["view"],
                    key=view.get("key", "").format(key=world.projector_key) or None,
                    session_key=world.sessions[role],
                    origin=origin,
                )
                if connected:
                    await communicator.disconnect()
                if connected != YES_NO[expected[role]]:
                    problems.append(
                        f"{pattern.name} ?{query} from {origin} as {role}: "
                        f"expected {expected[role]}, got {'yes' if connected else 'no'}"
                    )
    assert not problems, "\n".join(problems)

"""A strict Content-Security-Policy on every page, and pages that keep to it: no inline script,
no style attribute or element, no inline event handler, in the full pages, the htmx fragments
and the live fragments the sockets carry."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string
from django.test import Client, override_settings

from tests.test_authorisation_matrix import World, build_world
from workshops.models import Participant, Workshop
from workshops.regions import render_region

pytestmark = pytest.mark.django_db

DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


class InlineFinder(HTMLParser):
    """Everything in a page that a strict policy would block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        where = f"<{tag} {' '.join(f'{k}={v!r}' for k, v in attrs)[:120]}>"
        if tag == "script" and "src" not in names:
            self.found.append(f"inline script: {where}")
        if tag == "style":
            self.found.append(f"style element: {where}")
        for name, value in attrs:
            if name == "style":
                self.found.append(f"style attribute: {where}")
            elif name.startswith("on") or name.startswith(("hx-on", "data-hx-on")):
                self.found.append(f"inline handler {name}: {where}")
            elif (value or "").strip().lower().startswith(("javascript:", "js:")):
                self.found.append(f"javascript in {name}: {where}")

    handle_startendtag = handle_starttag


def inline_parts(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    parts = [p.strip().split(None, 1) for p in header.split(";") if p.strip()]
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


def as_role(world: World, role: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if world.sessions[role]:
        client.cookies["sessionid"] = world.sessions[role]
    return client


def pages(w: World) -> list[tuple[str, str, dict]]:
    """(role, path, headers) of the main pages, and the fragments htmx asks for."""
    c = w.code
    return [
        ("anonymous", "/", {}),
        ("anonymous", "/?code=QQQQQ2", {}),  # an unknown code
        ("anonymous", "/j/QQQQQ2/", {}),  # the 404 page
        ("anonymous", f"/w/{c}/console/", {}),  # the 403 page
        ("anonymous", "/accounts/login/", {}),
        ("anonymous", "/accounts/password-reset/", {}),
        ("anonymous", "/accounts/signup/", {}),
        ("anonymous", "/archive/", {}),
        ("anonymous", f"/w/{c}/follow-up/", {}),
        ("anonymous", f"/w/{c}/projector/?key={w.projector_key}", {}),
        ("anonymous", f"/w/{c}/projector/counts/?key={w.projector_key}", {}),
        ("audience", f"/j/{c}/", {}),
        ("audience", f"/j/{c}/vote/", {"HTTP_HX_REQUEST": "true"}),
        ("challenger", f"/w/{c}/challenge/", {}),
        ("receiver", f"/w/{c}/handover/", {}),
        ("receiver", "/claims/", {}),
        ("receiver", f"/claims/{w.claim}/", {}),
        ("receiver", f"/w/{c}/report/", {}),
        ("labber", "/dashboard/", {}),
        ("labber", "/dashboard/new/", {}),
        ("labber", f"/w/{c}/setup/", {}),
        ("labber", f"/w/{c}/poster/", {}),
        ("labber", f"/w/{c}/invites/", {}),
        ("labber", f"/w/{c}/console/", {}),
        ("labber", f"/w/{c}/console/preview/", {}),
        ("labber", f"/w/{c}/console/log/", {}),
        ("labber", f"/w/{c}/report/", {}),
        ("staff", "/accounts/labbers/new/", {}),
        ("staff", "/admin/", {}),
        ("staff", "/admin/workshops/workshop/", {}),
    ]


@override_settings(LABBET_OPEN_SIGNUP=True)
def test_every_main_page_has_a_strict_policy_and_nothing_inline():
    world = build_world()
    problems = []
    for role, path, headers in pages(world):
        response = as_role(world, role).get(path, **headers)
        assert response.status_code in (200, 403, 404), (path, response.status_code)
        assert "Content-Security-Policy" in response, path
        directives = policy(response)
        for name, value in DIRECTIVES.items():
            assert directives.get(name) == value, (path, name, directives.get(name))
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]
        connect = directives["connect-src"].split()
        assert connect[0] == "'self'" and "ws://testserver" in connect, connect
        preview = path.endswith("/console/preview/")
        assert directives["frame-ancestors"] == ("'self'" if preview else "'none'"), path
        problems += [f"{path} ({role}): {p}" for p in inline_parts(response.content.decode())]
    assert not problems, "\n".join(problems)


def test_htmx_answers_keep_to_the_policy_too():
    world = build_world()
    c = world.code
    audience = as_role(world, "audience")
    answers = [
        audience.post(
            f"/j/{c}/post/",
            {"kind": "suggestion", "text": "More pilots", "client_key": "csp-1"},
            HTTP_HX_REQUEST="true",
        ),
        audience.post(
            f"/j/{c}/vote/", {"contribution": world.suggestion, "op": "add"}, HTTP_HX_REQUEST="true"
        ),
        as_role(world, "labber").post(
            f"/w/{c}/console/c/{world.suggestion}/spotlight/", {"on": "1"}, HTTP_HX_REQUEST="true"
        ),
        as_role(world, "receiver").post(
            f"/w/{c}/claim/", {"contribution": world.unclaimed}, HTTP_HX_REQUEST="true"
        ),
    ]
    for response in answers:
        assert response.status_code == 200, response.content[:300]
        assert "Content-Security-Policy" in response
        assert not inline_parts(response.content.decode()), response.content[:300]


@pytest.mark.parametrize("layout", ["kind", "obstacle", "theme"])
def test_the_live_regions_the_sockets_carry_have_nothing_inline(layout):
    world = build_world()
    workshop = Workshop.objects.get(code=world.code)
    workshop.wall_layout = layout
    workshop.voting_open = False  # the projector shows its wall, not the ranking
    workshop.save()
    audience = Participant.objects.filter(workshop=workshop, role="audience").first()
    labber = Participant.objects.filter(workshop=workshop, role="labber").first()
    for view, participant in (("phone", audience), ("projector", None), ("console", labber)):
        html = render_region(workshop, view, participant, oob=True)
        assert not inline_parts(html), (view, inline_parts(html))


def test_the_500_page_and_the_qr_code_have_nothing_inline():
    assert not inline_parts(render_to_string("500.html"))
    from workshops.views.projector import qr_svg

    assert not inline_parts(qr_svg("https://labbet.example.org/j/STAD26/", "QR"))


def test_the_finder_finds_what_the_policy_blocks():
    html = (
        '<script>alert(1)</script><p style="color:red" onclick="x()">'
        '<a href="javascript:void(0)">x</a><style>p{}</style><div hx-on:click="x()"></div>'
        '<script src="/static/js/labbet.js"></script>'
    )
    assert len(inline_parts(html)) == 6

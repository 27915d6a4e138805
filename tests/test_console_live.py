"""Every console move reaches every screen within a second: the labber's POST, through the
view and the action, arrives as one frame on the phone, the projector and the console."""

import pytest
from django.test import Client

from insights.models import Contribution
from tests.factories import make_user, make_workshop, post
from tests.live import connect, db, frames, phone_session, user_session
from workshops.models import Workshop
from workshops.regions import render_region

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

# (console path, form data, what each view shows afterwards)
MOVES = {
    "approve": (
        "c/{pk}/status/",
        {"status": "visible"},
        {
            "phone": "Pilots with citizens",
            "projector": "Pilots with citizens",
            "console": "approved",
        },
    ),
    "hide": (
        "c/{pk}/status/",
        {"status": "hidden"},
        {"phone": 'hx-swap-oob="delete"', "projector": "hidden by the labbers", "console": "hid"},
    ),
    "fix a typo": (
        "c/{pk}/edit/",
        {"text": "Pilots with all citizens"},
        {"phone": "all citizens", "projector": "all citizens", "console": "Original:"},
    ),
    "spotlight": (
        "c/{pk}/spotlight/",
        {"on": "1"},
        {"phone": "c-", "projector": "spotlight__text", "console": 'id="console-spotlight"'},
    ),
    "pin": (
        "c/{pk}/pin/",
        {"on": "1"},
        {"phone": "card--pinned", "projector": "card--pinned", "console": "pinned"},
    ),
    "mute": (
        "c/{pk}/mute/",
        {"on": "1"},
        {"phone": "", "projector": "", "console": "author muted"},
    ),
    "theme": (
        "themes/",
        {"name": "Trust", "selected": ["{pk}"]},
        {"phone": 'id="phone-prompt"', "projector": "Trust", "console": "Trust"},
    ),
    "phase": (
        "phase/",
        {"phase": "suggestions"},
        {"phone": "What could solve it?", "projector": "Suggestions", "console": "aria-current"},
    ),
    "prompt": (
        "prompt/",
        {"text": "Who dares to fail?"},
        {"phone": "Who dares to fail?", "projector": "Who dares to fail?", "console": "asked"},
    ),
    "open moderation": (
        "moderation/",
        {"moderation": "open"},
        {"phone": 'id="phone-prompt"', "projector": 'id="projector-live"', "console": "switched"},
    ),
    "lock": (
        "posting/",
        {"open": "0"},
        {"phone": 'data-can-post="0"', "projector": 'id="projector-live"', "console": "Unlock"},
    ),
    "timer": (
        "timer/",
        {"op": "start", "minutes": "2"},
        {"phone": "data-timer-ends", "projector": "data-timer-ends", "console": "data-timer-ends"},
    ),
    "layout": (
        "layout/",
        {"wall_layout": "kind"},
        {"phone": 'id="phone-prompt"', "projector": 'id="col-insight"', "console": "console-wall"},
    ),
    "projector theme": (
        "projector-theme/",
        {"projector_theme": "dark"},
        {"phone": 'id="phone-prompt"', "projector": 'data-theme="dark"', "console": "Dark"},
    ),
    "close": (
        "close/",
        {},
        {"phone": "has closed", "projector": "Thank you for labbing", "console": "closed"},
    ),
}


@pytest.mark.parametrize("name", list(MOVES))
async def test_every_console_move_reaches_every_screen_within_a_second(name):
    path, data, shows = MOVES[name]
    user = await db(make_user)("lena")
    workshop = await db(make_workshop)(labber_user=user, moderation=Workshop.Moderation.PRE)
    contribution = await db(post)(workshop, text="Pilots with citizens")
    if name not in ("approve", "hide"):
        await db(lambda: Contribution.objects.filter(pk=contribution.pk).update(status="visible"))()
    _, phone_key = await db(phone_session)(workshop)
    labber_key = await db(user_session)(user)
    sockets = {
        "phone": (await connect(workshop.code, session_key=phone_key))[0],
        "projector": (await connect(workshop.code, view="projector", key=workshop.projector_token))[
            0
        ],
        "console": (await connect(workshop.code, view="console", session_key=labber_key))[0],
    }

    def labber_moves():
        client = Client()
        client.force_login(user)
        values = {
            k: [x.format(pk=contribution.pk) for x in v] if isinstance(v, list) else v
            for k, v in data.items()
        }
        return client.post(
            f"/w/{workshop.code}/console/{path.format(pk=contribution.pk)}",
            values,
            HTTP_HX_REQUEST="true",
        )

    response = await db(labber_moves)()
    assert response.status_code == 200, response.content
    for view, communicator in sockets.items():
        (frame,) = await frames(communicator, 1, timeout=1)
        assert shows[view] in frame, (view, frame[:500])
    for communicator in sockets.values():
        assert await communicator.receive_nothing(timeout=0.05)
        await communicator.disconnect()


async def test_a_console_that_was_away_long_gets_a_fresh_console(settings):
    settings.LABBET_REPLAY_LIMIT = 1
    user = await db(make_user)("lena")
    workshop = await db(make_workshop)(labber_user=user)
    for text in ("one", "two", "three"):
        await db(post)(workshop, text=text)
    console, _, _ = await connect(
        workshop.code, view="console", session_key=await db(user_session)(user), cursor=0
    )
    (frame,) = await frames(console, 1)
    assert frame.startswith("<!--c:3 r-->")
    assert 'id="console-live"' in frame and 'hx-swap-oob="true"' in frame
    assert all(text in frame for text in ("one", "two", "three"))
    await console.disconnect()


async def test_the_console_region_is_one_partial_for_page_and_refresh():
    user = await db(make_user)("lena")
    workshop = await db(make_workshop)(labber_user=user)
    html = await db(render_region)(workshop, "console", None, True)
    assert html.lstrip().startswith(
        '<div id="console-live" class="console-live" hx-swap-oob="true"'
    )
    # Only the root swaps: the parts inside it carry no swap of their own.
    assert html.count("hx-swap-oob") == 1

"""Requests through the real ASGI application: the middleware and the view run as one sync
call in the request's thread (labbet.asgi.OneThreadPerRequest), never back and forth to the
event loop, which is busy fanning frames out to a room's sockets."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from asgiref import sync
from channels.testing import HttpCommunicator

from insights.models import Contribution
from labbet.asgi import application
from tests.factories import make_workshop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def hops(monkeypatch):
    """What each crossing from a thread back to the event loop (async_to_sync) ran."""
    crossings: list[str] = []
    real = sync.AsyncToSync.__call__

    def counted(self, *args, **kwargs):
        crossings.append(getattr(self.awaitable, "__name__", repr(self.awaitable)))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(sync.AsyncToSync, "__call__", counted)
    return crossings


def cookies(response) -> str:
    jar = {}
    for name, value in response["headers"]:
        if name.lower() == b"set-cookie":
            key, _, rest = value.decode().partition("=")
            jar[key] = rest.split(";", 1)[0]
    return "; ".join(f"{key}={value}" for key, value in jar.items()), jar


async def request(method, path, body=b"", headers=()):
    headers = [(b"host", b"testserver"), *headers]
    communicator = HttpCommunicator(application, method, path, body=body, headers=headers)
    return await communicator.get_response(timeout=10)


async def test_a_phone_joins_and_posts_through_the_asgi_app_without_a_hop_to_the_loop(hops):
    workshop = await sync.sync_to_async(make_workshop)(language="en")
    page = await request("GET", f"/j/{workshop.code}/")
    assert page["status"] == 200
    assert b'id="post-form"' in page["body"]
    assert hops == []  # the page: no crossing at all
    cookie, jar = cookies(page)

    form = urlencode({"kind": "suggestion", "text": "Open the data", "client_key": "k1"}).encode()
    answer = await request(
        "POST",
        f"/j/{workshop.code}/post/",
        body=form,
        headers=[
            (b"cookie", cookie.encode()),
            (b"x-csrftoken", jar["csrftoken"].encode()),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"hx-request", b"true"),
            (b"origin", b"http://testserver"),
        ],
    )
    assert answer["status"] == 200, answer["body"][:500]
    assert b"Thank you! Your suggestion is on the wall." in answer["body"]
    texts = await sync.sync_to_async(
        lambda: list(Contribution.objects.filter(workshop=workshop).values_list("text", flat=True))
    )()
    assert texts == ["Open the data"]
    # The post's one crossing is its live event to the room (the channel layer is async);
    # Django's own async response path (_get_response_async) is never used.
    assert hops == ["_send_frames"]

"""Scale-out, each screen in its language: a process renders an event in every language a
screen reads in the room, also when those screens are on another process (the presence is
kept in the shared Redis)."""

from __future__ import annotations

import asyncio

import pytest
import websockets

from tests.clients import Phone
from tests.test_scaleout import two_processes  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.services, pytest.mark.slow]


async def listen(url: str, headers: dict[str, str], into: list[str]) -> None:
    async with websockets.connect(url, additional_headers=headers) as ws:
        into.append("open")
        into.append(await asyncio.wait_for(ws.recv(), timeout=30))


def test_a_post_on_one_process_reaches_an_english_phone_on_the_other_in_english(
    two_processes,  # noqa: F811
):
    first, second = two_processes
    poster, english, swedish = Phone(first), Phone(second), Phone(second)
    received: dict[str, list[str]] = {"en": [], "sv": []}

    async def run() -> None:
        listeners = [
            asyncio.create_task(listen(phone.ws_url() + f"&lang={lang}", phone.ws_headers(), into))
            for phone, lang, into in (
                (english, "en", received["en"]),
                (swedish, "sv", received["sv"]),
            )
        ]
        while not all(received.values()):  # both sockets are open before the post
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        await asyncio.to_thread(poster.post, "Dela data mellan kommunerna")
        await asyncio.gather(*listeners)

    asyncio.run(run())
    in_english, in_swedish = received["en"][1], received["sv"][1]
    assert (
        "Dela data mellan kommunerna" in in_english and "Dela data mellan kommunerna" in in_swedish
    )
    assert 'lang="en"' in in_english and "</span> Insight" in in_english
    assert "</span> Insikt" in in_swedish and 'lang="en"' not in in_swedish

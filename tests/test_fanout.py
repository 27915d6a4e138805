"""The process-local fan-out: one subscription per process and group, every frame once."""

import asyncio

import pytest
from channels.layers import get_channel_layer

from insights.fanout import Hub

pytestmark = pytest.mark.asyncio


class Socket:
    def __init__(self) -> None:
        self.frames: list[tuple[int, str]] = []

    async def deliver(self, seq: int, text: str) -> None:
        self.frames.append((seq, text))


async def test_concurrent_joins_subscribe_once_and_each_frame_arrives_once(monkeypatch):
    hub = Hub()
    calls = []
    original = hub.layer.group_add

    async def counting_group_add(group, channel):
        calls.append(group)
        await asyncio.sleep(0.01)  # widen the race window a real layer has
        await original(group, channel)

    monkeypatch.setattr(hub.layer, "group_add", counting_group_add)
    sockets = [Socket() for _ in range(50)]
    await asyncio.gather(*(hub.join("labbet.w1.phone", s) for s in sockets))
    assert calls == ["labbet.w1.phone"]

    layer = get_channel_layer()
    for seq in (1, 2, 3):
        await layer.group_send(
            "labbet.w1.phone",
            {"type": "live.frame", "group": "labbet.w1.phone", "seq": seq, "text": f"f{seq}"},
        )
    await asyncio.sleep(0.1)
    assert all(s.frames == [(1, "f1"), (2, "f2"), (3, "f3")] for s in sockets)
    hub.relay_task.cancel()


async def test_the_last_socket_to_leave_unsubscribes_the_process():
    hub = Hub()
    a, b = Socket(), Socket()
    await hub.join("labbet.w2.phone", a)
    await hub.join("labbet.w2.phone", b)
    await hub.leave("labbet.w2.phone", a)
    assert "labbet.w2.phone" in hub.subscribed
    await hub.leave("labbet.w2.phone", b)
    assert "labbet.w2.phone" not in hub.subscribed
    assert hub.count("labbet.w2.phone") == 0
    hub.relay_task.cancel()


async def test_one_failing_socket_does_not_stop_the_rest():
    hub = Hub()

    class Broken(Socket):
        async def deliver(self, seq, text):
            raise ConnectionError("gone")

    good = Socket()
    await hub.join("labbet.w3.phone", Broken())
    await hub.join("labbet.w3.phone", good)
    await get_channel_layer().group_send(
        "labbet.w3.phone", {"type": "live.frame", "group": "labbet.w3.phone", "seq": 1, "text": "x"}
    )
    await asyncio.sleep(0.05)
    assert good.frames == [(1, "x")]
    hub.relay_task.cancel()


async def send_frame(group: str, seq: int, text: str) -> None:
    await get_channel_layer().group_send(
        group, {"type": "live.frame", "group": group, "seq": seq, "text": text}
    )


async def test_frames_that_overtake_each_other_reach_sockets_in_cursor_order():
    # Each request sends its frames after commit from its own thread: N+1 can arrive first.
    hub = Hub()
    socket = Socket()
    await hub.join("labbet.w4.phone", socket, start=0)
    await send_frame("labbet.w4.phone", 2, "second")
    await send_frame("labbet.w4.phone", 1, "first")
    await send_frame("labbet.w4.phone", 1, "first again")
    await asyncio.sleep(0.05)
    assert socket.frames == [(1, "first"), (2, "second")]
    hub.relay_task.cancel()


@pytest.mark.django_db(transaction=True)
async def test_a_frame_lost_on_the_way_is_read_from_the_database():
    from channels.db import database_sync_to_async

    from insights.live import frame, live_group
    from insights.models import LiveEvent
    from tests.factories import make_workshop

    workshop = await database_sync_to_async(make_workshop)()
    for seq in (1, 2, 3):
        await database_sync_to_async(LiveEvent.objects.create)(
            workshop=workshop, seq=seq, kind="test", fragments={"phone": f"<p>event {seq}</p>"}
        )
    group = live_group(workshop.pk, "phone")
    hub = Hub()
    socket = Socket()
    await hub.join(group, socket, start=0)
    await send_frame(group, 1, frame(1, "<p>event 1</p>"))
    await send_frame(group, 3, frame(3, "<p>event 3</p>"))
    await asyncio.sleep(0.05)
    assert [seq for seq, _ in socket.frames] == [1]
    await asyncio.sleep(0.4)
    assert [seq for seq, _ in socket.frames] == [1, 2, 3]
    assert "event 2" in socket.frames[1][1]
    hub.relay_task.cancel()

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

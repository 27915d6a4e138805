"""The process-local fan-out: one subscription per process and group, every frame once."""

import asyncio

import pytest
from channels.layers import get_channel_layer

from live.hub import Hub

pytestmark = pytest.mark.asyncio


class Socket:
    """A consumer as the hub sees it, without a daphne protocol to write to."""

    wire = None
    replaying = False

    def __init__(self) -> None:
        self.frames: list[tuple[int, str]] = []
        self.sent_seq = 0
        self.buffer: list[tuple[int, str]] = []

    async def send(self, text_data: str) -> None:
        self.frames.append((self.sent_seq, text_data))


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
    await asyncio.gather(*(hub.join("labbet.w1.phone.sv", s) for s in sockets))
    # Once for the group, once for the revocations every process hears (PEOPLE_GROUP).
    assert calls == ["labbet.people", "labbet.w1.phone.sv"]

    layer = get_channel_layer()
    for seq in (1, 2, 3):
        await layer.group_send(
            "labbet.w1.phone.sv",
            {"type": "live.frame", "group": "labbet.w1.phone.sv", "seq": seq, "text": f"f{seq}"},
        )
    await asyncio.sleep(0.1)
    assert all(s.frames == [(1, "f1"), (2, "f2"), (3, "f3")] for s in sockets)
    hub.relay_task.cancel()


async def test_the_last_socket_to_leave_unsubscribes_the_process():
    hub = Hub()
    a, b = Socket(), Socket()
    await hub.join("labbet.w2.phone.sv", a)
    await hub.join("labbet.w2.phone.sv", b)
    await hub.leave("labbet.w2.phone.sv", a)
    assert "labbet.w2.phone.sv" in hub.subscribed
    await hub.leave("labbet.w2.phone.sv", b)
    assert "labbet.w2.phone.sv" not in hub.subscribed
    assert hub.count("labbet.w2.phone.sv") == 0
    hub.relay_task.cancel()


async def test_one_failing_socket_does_not_stop_the_rest():
    hub = Hub()

    class Broken(Socket):
        async def send(self, text_data):
            raise ConnectionError("gone")

    good = Socket()
    await hub.join("labbet.w3.phone.sv", Broken())
    await hub.join("labbet.w3.phone.sv", good)
    await get_channel_layer().group_send(
        "labbet.w3.phone.sv",
        {"type": "live.frame", "group": "labbet.w3.phone.sv", "seq": 1, "text": "x"},
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
    await hub.join("labbet.w4.phone.sv", socket, start=0)
    await send_frame("labbet.w4.phone.sv", 2, "second")
    await send_frame("labbet.w4.phone.sv", 1, "first")
    await send_frame("labbet.w4.phone.sv", 1, "first again")
    await asyncio.sleep(0.05)
    assert socket.frames == [(1, "first"), (2, "second")]
    hub.relay_task.cancel()


@pytest.mark.django_db(transaction=True)
async def test_a_frame_lost_on_the_way_is_read_from_the_database():
    from channels.db import database_sync_to_async

    from live.events import frame, live_group
    from live.models import LiveEvent
    from tests.factories import make_workshop

    workshop = await database_sync_to_async(make_workshop)()
    for seq in (1, 2, 3):
        await database_sync_to_async(LiveEvent.objects.create)(
            workshop=workshop, seq=seq, kind="test", fragments={"phone": f"<p>event {seq}</p>"}
        )
    group = live_group(workshop.pk, "phone", workshop.language)
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


class Factory:
    def __init__(self) -> None:
        self.prepared: list[bytes] = []

    def prepareMessage(self, payload: bytes):
        self.prepared.append(payload)
        return ("prepared", payload)


class Wire:
    """Stands for daphne's autobahn protocol."""

    STATE_OPEN = 3

    def __init__(self, factory: Factory, state: int = 3) -> None:
        self.factory = factory
        self.state = state
        self.written: list[bytes] = []

    def sendPreparedMessage(self, prepared):
        self.written.append(prepared[1])

    def handle_reply(self, message):  # daphne's protocol has it too
        raise AssertionError("the hub writes prepared frames, not ASGI messages")


async def join_wired(hub: Hub, group: str, wires: list[Wire]) -> list[Socket]:
    """A socket per wire, each as a consumer under daphne, in the hub's group."""
    sockets = []
    for wire in wires:
        socket = Socket()
        socket.wire = wire
        sockets.append(socket)
        await hub.join(group, socket)
    return sockets


async def test_under_daphne_a_frame_is_framed_once_and_written_to_every_open_socket():
    import functools

    from live.wire import server_protocol

    class Server:
        async def handle_reply(self, protocol, message):
            protocol.handle_reply(message)

    factory = Factory()
    wires = [Wire(factory) for _ in range(450)] + [Wire(factory, state=0)]
    # What daphne passes each application as `send`:
    sends = [functools.partial(Server().handle_reply, wire) for wire in wires]
    assert all(server_protocol(send) is wire for send, wire in zip(sends, wires, strict=True))
    assert server_protocol(Socket().send) is None

    hub = Hub()
    await join_wired(hub, "labbet.w9.phone.sv", wires)
    await send_frame("labbet.w9.phone.sv", 1, "ett")
    await send_frame("labbet.w9.phone.sv", 2, "två")
    await asyncio.sleep(0.1)
    assert factory.prepared == [b"ett", "två".encode()]
    assert all(wire.written == [b"ett", "två".encode()] for wire in wires[:-1])
    assert wires[-1].written == []  # closed: nothing written
    hub.relay_task.cancel()


async def test_frames_that_arrive_while_the_room_is_being_written_to_go_out_together(
    monkeypatch,
):
    # A process that falls behind (a busy core, a burst of posts) catches up: the frames that
    # waited meanwhile reach each socket in one write, framed once for the whole room.
    import live.hub as hub_module

    monkeypatch.setattr(hub_module, "YIELD_EVERY", 1)  # the loop runs between any two sockets
    writes: dict[Wire, list[list[bytes]]] = {}
    monkeypatch.setattr(
        hub_module,
        "write_prepared",
        lambda wire, frames: writes.setdefault(wire, []).append([p[1] for p in frames.prepared]),
    )
    factory = Factory()
    hub = Hub()
    wires = [Wire(factory) for _ in range(200)]
    sockets = await join_wired(hub, "labbet.w11.phone.sv", wires)
    sockets[-1].sent_seq = 2  # replayed up to 2 already: only the third is due
    # The first frame goes out at once; the next two arrive while it is being written.
    for seq, text in ((1, "ett"), (2, "två"), (3, "tre")):
        await send_frame("labbet.w11.phone.sv", seq, text)
    await asyncio.sleep(0.2)
    ett, tva, tre = b"ett", "två".encode(), b"tre"
    assert factory.prepared == [ett, tva, tre]  # framed once each, for the whole room
    assert all(writes[wire] == [[ett], [tva, tre]] for wire in wires[:-1])
    assert writes[wires[-1]] == [[tre]]
    assert all(s.sent_seq == 3 for s in sockets)
    hub.relay_task.cancel()


async def test_a_gap_filled_from_the_database_while_the_relay_delivers_keeps_every_socket_in_order(
    monkeypatch,
):
    # The relay yields to other work every YIELD_EVERY sockets; the gap filler must not slip
    # a later frame in between.
    import live.hub as hub_module

    monkeypatch.setattr(hub_module, "YIELD_EVERY", 1)
    hub = Hub()
    sockets = [Socket() for _ in range(20)]
    for socket in sockets:
        await hub.join("labbet.w10.phone.sv", socket)
    order = hub.order["labbet.w10.phone.sv"]
    order.early[1] = "one"
    order.early[2] = "two"
    await asyncio.gather(
        hub._deliver_in_order("labbet.w10.phone.sv", order),
        hub._deliver_in_order("labbet.w10.phone.sv", order),
    )
    assert all(s.frames == [(1, "one"), (2, "two")] for s in sockets)
    hub.relay_task.cancel()


async def test_a_prepared_frame_goes_to_the_kernel_at_once_and_the_rest_to_twisteds_buffer():
    import socket

    from twisted.internet.tcp import Server as TwistedTCP

    from live.wire import Frames, write_prepared

    class Prepared:
        payloadHybi = b"\x81\x05hello"

    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    transport = TwistedTCP.__new__(TwistedTCP)  # the fields write_prepared reads, no reactor
    transport.socket, transport.connected, transport.disconnecting = ours, True, False
    transport.dataBuffer, transport._tempDataLen = b"", 0
    buffered = []
    transport.write = buffered.append

    class Wire:
        _perMessageCompress = None
        send_queue = ()

        def sendPreparedMessage(self, prepared):
            raise AssertionError("not needed: nothing was queued")

    wire = Wire()
    wire.transport = transport
    write_prepared(wire, Frames([Prepared()]))
    assert theirs.recv(100) == b"\x81\x05hello" and buffered == []

    # Frames that waited together go out in one write.
    write_prepared(wire, Frames([Prepared(), Prepared()]))
    assert theirs.recv(100) == b"\x81\x05hello" * 2 and buffered == []

    # Something already waits in Twisted's buffer: the frame queues behind it, in order.
    transport._tempDataLen = 3
    wire.sendPreparedMessage = lambda prepared: buffered.append(prepared.payloadHybi)
    write_prepared(wire, Frames([Prepared(), Prepared()]))
    assert buffered == [b"\x81\x05hello", b"\x81\x05hello"]
    ours.close()
    theirs.close()


async def test_a_burst_of_posts_reaches_each_socket_in_a_few_writes_and_a_lone_one_at_once(
    monkeypatch,
):
    # "Everyone, write one now": posts commit a few milliseconds apart. Each socket gets all
    # of them in order, in far fewer writes than posts; a post after a quiet moment goes out
    # without waiting.
    import live.hub as hub_module

    writes: dict[Wire, list[list[bytes]]] = {}
    monkeypatch.setattr(
        hub_module,
        "write_prepared",
        lambda wire, frames: writes.setdefault(wire, []).append([p[1] for p in frames.prepared]),
    )
    hub = Hub()
    wires = [Wire(Factory()) for _ in range(50)]
    await join_wired(hub, "labbet.w12.phone.sv", wires)
    for seq in range(1, 21):
        await send_frame("labbet.w12.phone.sv", seq, f"post {seq}")
        await asyncio.sleep(0.003)
    await asyncio.sleep(hub_module.COALESCE * 3)
    everything = [f"post {seq}".encode() for seq in range(1, 21)]
    for wire in wires:
        assert [frame for write in writes[wire] for frame in write] == everything
        assert len(writes[wire]) <= 5
    await asyncio.sleep(hub_module.COALESCE * 2)  # the room goes quiet
    await send_frame("labbet.w12.phone.sv", 21, "post 21")
    await asyncio.sleep(0.005)
    assert all(writes[wire][-1] == [b"post 21"] for wire in wires)
    hub.relay_task.cancel()

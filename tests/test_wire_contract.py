"""The contract of live/wire.py with the installed daphne, Twisted, autobahn and channels.

live/wire.py relies on internals none of them documents; pyproject.toml pins daphne, Twisted
and autobahn to exact versions for it. After an upgrade, each assertion here names the
internal that moved (and live/wire.py is the one module to adapt, or LABBET_LIVE_DIRECT_WRITE=0
serves meanwhile through the consumer's documented `send`)."""

import asyncio
import functools
import inspect
import socket

import daphne.server
import daphne.ws_protocol
import pytest
from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from autobahn.websocket.protocol import PreparedMessage, WebSocketProtocol
from channels.consumer import AsyncConsumer
from channels.layers import get_channel_layer
from django.test import override_settings
from twisted.internet import tcp
from twisted.internet.testing import MemoryReactor

from live.wire import NO_PER_SOCKET_CHANNEL, Frames, server_protocol, write_prepared


def daphne_server() -> daphne.server.Server:
    async def application(scope, receive, send):  # pragma: no cover - replaced per test
        pass

    # Built, never run: nothing listens.
    return daphne.server.Server(application=application, endpoints=["tcp:port=0"])


def test_daphne_builds_send_as_a_partial_of_its_servers_handle_reply_with_the_protocol():
    source = inspect.getsource(daphne.server.Server.create_application)
    assert "send=partial(self.handle_reply, protocol)" in source, (
        "daphne.server.Server.create_application no longer passes the application "
        "send=partial(self.handle_reply, protocol): live/wire.py's server_protocol reads the "
        "protocol out of that partial"
    )
    assert inspect.iscoroutinefunction(daphne.server.Server.handle_reply), (
        "daphne.server.Server.handle_reply is gone or no longer a coroutine"
    )
    assert issubclass(daphne.ws_protocol.WebSocketProtocol, WebSocketServerProtocol), (
        "daphne.ws_protocol.WebSocketProtocol is no longer autobahn's (Twisted) "
        "WebSocketServerProtocol"
    )
    assert issubclass(daphne.ws_protocol.WebSocketFactory, WebSocketServerFactory), (
        "daphne.ws_protocol.WebSocketFactory is no longer autobahn's WebSocketServerFactory"
    )


async def test_the_send_daphne_hands_an_application_leads_to_its_websocket_protocol():
    captured = {}

    async def application(scope, receive, send):
        captured["send"] = send

    server = daphne_server()
    server.application = application
    protocol = daphne.ws_protocol.WebSocketFactory(server).buildProtocol(("127.0.0.1", 1))
    protocol.state = protocol.STATE_OPEN  # set by autobahn once the handshake is done
    server.connections = {protocol: {}}
    server.create_application(protocol, {"type": "websocket"})
    await asyncio.sleep(0)
    send = captured.get("send")
    assert isinstance(send, functools.partial) and send.args[:1] == (protocol,), (
        "daphne.server.Server.create_application: `send` is no longer "
        "partial(server.handle_reply, protocol)"
    )
    assert server_protocol(send) is protocol, (
        "live.wire.server_protocol does not find daphne's protocol behind its `send`"
    )
    with override_settings(LABBET_LIVE_DIRECT_WRITE=False):
        assert server_protocol(send) is None


def test_autobahn_prepares_a_frame_once_and_sends_it_prepared():
    factory = WebSocketServerFactory()
    assert callable(getattr(WebSocketServerFactory, "prepareMessage", None)), (
        "autobahn's WebSocketServerFactory.prepareMessage is gone"
    )
    prepared = factory.prepareMessage(b"hej")
    assert isinstance(prepared, PreparedMessage), (
        "autobahn's WebSocketServerFactory.prepareMessage no longer returns a PreparedMessage"
    )
    assert getattr(prepared, "payloadHybi", None) == b"\x81\x03hej", (
        "autobahn's PreparedMessage.payloadHybi is no longer the whole unmasked text frame"
    )
    assert callable(getattr(WebSocketServerProtocol, "sendPreparedMessage", None)), (
        "autobahn's WebSocketServerProtocol.sendPreparedMessage is gone"
    )
    assert WebSocketProtocol.STATE_OPEN == WebSocketServerProtocol.STATE_OPEN == 3, (
        "autobahn's WebSocketProtocol.STATE_OPEN changed"
    )
    made = inspect.getsource(WebSocketProtocol._connectionMade)
    assert "self._perMessageCompress = None" in made, (
        "autobahn's WebSocketProtocol._perMessageCompress (None: no compression) is no longer "
        "set when a connection is made"
    )
    assert "self.send_queue = deque()" in made, (
        "autobahn's WebSocketProtocol.send_queue is no longer set when a connection is made"
    )
    sends = inspect.getsource(WebSocketProtocol.sendPreparedMessage)
    assert "self._perMessageCompress is None" in sends and "payloadHybi" in sends, (
        "autobahn's WebSocketProtocol.sendPreparedMessage no longer writes payloadHybi as it "
        "is when the connection does not compress"
    )


def test_twisteds_tcp_server_has_the_fields_a_direct_write_reads():
    ours, theirs = socket.socketpair()
    try:
        protocol = daphne.ws_protocol.WebSocketFactory(daphne_server()).buildProtocol(None)
        transport = tcp.Server(ours, protocol, ("127.0.0.1", 1), None, 0, MemoryReactor())
        fields = {
            "socket": ours,
            "connected": True,
            "disconnecting": False,
            "dataBuffer": b"",
            "_tempDataLen": 0,
        }
        for name, value in fields.items():
            assert hasattr(transport, name), f"Twisted's tcp.Server.{name} is gone"
            assert getattr(transport, name) == value, (
                f"Twisted's tcp.Server.{name} of a fresh connection is no longer {value!r}"
            )
        assert callable(getattr(transport, "write", None)), "Twisted's tcp.Server.write is gone"

        # The whole path: a prepared frame from autobahn, straight to the kernel.
        class Wire:
            _perMessageCompress = None
            send_queue = ()

            def sendPreparedMessage(self, prepared):
                raise AssertionError("nothing waited: the frame goes to the kernel directly")

        wire = Wire()
        wire.transport = transport
        write_prepared(wire, Frames([WebSocketServerFactory().prepareMessage(b"hej")]))
        assert theirs.recv(100) == b"\x81\x03hej"
    finally:
        ours.close()
        theirs.close()


def test_channels_gives_a_consumer_with_an_unknown_layer_alias_no_channel():
    assert get_channel_layer(NO_PER_SOCKET_CHANNEL) is None, (
        "channels.layers.get_channel_layer no longer returns None for an alias that is not in "
        "CHANNEL_LAYERS: every socket would get a channel of its own (live/wire.py)"
    )
    source = inspect.getsource(AsyncConsumer.__call__)
    assert "get_channel_layer(self.channel_layer_alias)" in source, (
        "channels.consumer.AsyncConsumer no longer reads its layer by channel_layer_alias"
    )
    assert "if self.channel_layer is not None" in source, (
        "channels.consumer.AsyncConsumer no longer skips the per-socket channel without a layer"
    )


@pytest.mark.parametrize("direct", [True, False])
def test_live_direct_write_off_means_no_protocol(direct):
    class Protocol:
        state = STATE_OPEN = 3

        def sendPreparedMessage(self, prepared): ...

        class factory:
            @staticmethod
            def prepareMessage(payload): ...

    async def handle_reply(protocol, message): ...

    send = functools.partial(handle_reply, Protocol())
    with override_settings(LABBET_LIVE_DIRECT_WRITE=direct):
        assert (server_protocol(send) is send.args[0]) is direct

"""Every use of daphne's, Twisted's and autobahn's internals, fenced in this one module.

The hub (live/hub.py) writes a frame to a room's sockets framed once per event, straight to
the kernel; that needs three things no documented interface offers, and the consumers one
more:

- `server_protocol(send)`: the autobahn protocol behind the `send` callable daphne gives
  each application (`partial(server.handle_reply, protocol)`, daphne/server.py);
- `Frames` and `write_prepared`: autobahn's prepared messages (`prepareMessage`,
  `payloadHybi`, `sendPreparedMessage`) and the fields of Twisted's TCP transport that say
  whether a direct write is safe;
- `NO_PER_SOCKET_CHANNEL`: the channel-layer alias the consumers give channels so that no
  socket gets a channel of its own.

daphne, Twisted and autobahn are pinned to exact versions in pyproject.toml for this module;
tests/test_wire_contract.py checks each of these internals against the installed versions and
fails by name when an upgrade moves one. Without them (LABBET_LIVE_DIRECT_WRITE=0, another
server, the test communicator), `server_protocol` returns None and every frame goes through
the consumer's documented `send`."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from twisted.internet.tcp import Server as TwistedTCP

# channels' consumers ask `get_channel_layer(self.channel_layer_alias)` for their layer and,
# when it returns None (channels/layers.py: an alias not in CHANNEL_LAYERS), make no channel
# of their own and receive nothing from the layer (channels/consumer.py). A consumer with this
# alias costs the layer nothing per socket: the process's hub receives for all of them.
NO_PER_SOCKET_CHANNEL = "labbet-no-per-socket-channel"


def server_protocol(send: Any) -> Any:
    """The autobahn protocol behind daphne's `send` callable, or None.

    daphne hands each application `partial(server.handle_reply, protocol)`; with the protocol,
    a frame can be framed once per event (autobahn's prepareMessage, made for broadcasting) and
    written to every socket, instead of passing through the session middleware, daphne and
    autobahn's framing once per socket. Anything else (the test communicator, another server,
    LABBET_LIVE_DIRECT_WRITE off) gets None and the consumer's own send."""
    if not settings.LABBET_LIVE_DIRECT_WRITE:
        return None
    if not isinstance(send, functools.partial) or not send.args:
        return None
    protocol = send.args[0]
    needed = ("sendPreparedMessage", "factory", "state", "STATE_OPEN")
    if not all(hasattr(protocol, name) for name in needed):
        return None
    if not hasattr(protocol.factory, "prepareMessage"):
        return None
    return protocol


def is_open(wire: Any) -> bool:
    """The websocket is open (autobahn's state), so a frame may be written to it."""
    return wire.state == wire.STATE_OPEN


def prepare(wire: Any, text: str) -> Any:
    """A text frame framed once (autobahn's prepareMessage), for any socket of the process."""
    return wire.factory.prepareMessage(text.encode())


class Frames:
    """Consecutive frames of one group, each framed once for every socket (autobahn's
    prepareMessage), and all of them together as the bytes of one write."""

    def __init__(self, prepared: list[Any]) -> None:
        self.prepared = prepared
        self._payload: bytes | None = None

    @property
    def payload(self) -> bytes:
        if self._payload is None:
            self._payload = b"".join(frame.payloadHybi for frame in self.prepared)
        return self._payload


def write_prepared(wire: Any, frames: Frames) -> None:
    """Put prepared frames on a socket the cheapest safe way: one write for all of them.

    Measured under load (py-spy, `make bench`), autobahn's sendData formats a debug line per
    call even with debug logging off, and Twisted's buffered write registers and unregisters
    the socket with epoll for every frame: together several times the cost of the frame. On a
    plain TCP connection with nothing waiting to go out (no compression, no queued writes),
    the frames go to the kernel at once, as asyncio's own transports do; whatever the kernel
    does not take is left to Twisted's buffer, in order. Anything else: autobahn's own path,
    a frame at a time."""
    transport = getattr(wire, "transport", None)
    if (
        getattr(wire, "_perMessageCompress", None) is not None
        or getattr(wire, "send_queue", None)
        or not isinstance(transport, TwistedTCP)
        or not transport.connected
        or transport.disconnecting
        or transport.dataBuffer
        or transport._tempDataLen
    ):
        for prepared in frames.prepared:
            wire.sendPreparedMessage(prepared)
        return
    payload = frames.payload
    try:
        sent = transport.socket.send(payload)
    except (BlockingIOError, InterruptedError):
        sent = 0
    except OSError:
        return  # the peer is gone; Twisted notices on its next read and closes the socket
    if sent < len(payload):
        transport.write(payload[sent:])

"""A lean websocket client for thousands of listening sockets in one process: websockets'
Sans-I/O protocol on an asyncio BufferedProtocol.

websockets' asyncio client adds a future, a queue hop and a task wake-up to every message;
with 1,000-2,000 sockets at 10 frames/s each, the generator's core, not the server, would set
the latencies. Here each read is parsed in the loop's callback and every text message handed
to a function; pings are answered, the close handshake is done.

Once the socket is open, whole unfragmented text frames (all daphne sends) are cut out of
each read here and never reach websockets' parser, which cost the generator about 40% of its
core at 2,000 phones (py-spy); every other frame (pings, the close, fragments) is handed to
websockets whole, so its state stays exact."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from websockets.client import ClientProtocol
from websockets.exceptions import InvalidHandshake
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.typing import Origin
from websockets.uri import parse_uri

# One receive buffer for every socket: the loop runs one callback at a time, and each read is
# parsed before the next; asyncio's default reads allocate 256 KiB per call instead.
BUFFER = memoryview(bytearray(256 * 1024))


class Listener(asyncio.BufferedProtocol):
    """One socket that only listens: each text message goes to `on_text(text)`."""

    def __init__(
        self, url: str, origin: str, headers: dict[str, str], on_text: Callable[[str], None]
    ) -> None:
        self.uri = parse_uri(url)
        self.headers = headers
        self.on_text = on_text
        self.ws = ClientProtocol(self.uri, origin=Origin(origin), max_size=2**22)
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.fragments: list[bytes] = []
        self.unparsed = b""  # the start of a frame whose end has not arrived yet

    @classmethod
    async def open(
        cls,
        url: str,
        origin: str,
        headers: dict[str, str],
        on_text: Callable[[str], None],
        timeout: float = 60,
    ) -> Listener:
        """Connect and complete the opening handshake (raises on refusal or timeout)."""
        listener = cls(url, origin, headers, on_text)
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout):
            await loop.create_connection(lambda: listener, listener.uri.host, listener.uri.port)
            try:
                await listener.opened
            except BaseException:
                listener.abort()
                raise
        return listener

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        request = self.ws.connect()
        for name, value in self.headers.items():
            request.headers[name] = value
        self.ws.send_request(request)
        self.flush()

    def get_buffer(self, sizehint: int) -> memoryview:
        return BUFFER

    def buffer_updated(self, nbytes: int) -> None:
        data = BUFFER[:nbytes].tobytes()
        if self.unparsed:
            data, self.unparsed = self.unparsed + data, b""
        # Until the socket is open, and while websockets holds part of a frame, it parses.
        if self.ws.state is not State.OPEN or self.ws.reader.buffer:
            self.to_websockets(data)
            return
        self.unparsed = self.cut_text_frames(data)

    def cut_text_frames(self, data: bytes) -> bytes:
        """Hand each whole frame in `data` on: an unfragmented text frame to `on_text`, any
        other to websockets. Returns the start of a frame still incomplete."""
        pos, end = 0, len(data)
        while end - pos >= 2:
            first, second = data[pos], data[pos + 1]
            if second & 0x80:  # a server never masks: websockets says why that fails
                self.to_websockets(data[pos:])
                return b""
            length = second & 0x7F
            head = {126: 4, 127: 10}.get(length, 2)
            if end - pos < head:
                break
            if head > 2:
                length = int.from_bytes(data[pos + 2 : pos + head])
            if end - pos < head + length:
                break
            if first == 0x81 and not self.fragments:  # FIN, no extension bits, text
                self.on_text(data[pos + head : pos + head + length].decode())
            else:
                self.to_websockets(data[pos : pos + head + length])
                if self.ws.state is not State.OPEN:
                    self.to_websockets(data[pos + head + length :])
                    return b""
            pos += head + length
        return data[pos:]

    def to_websockets(self, data: bytes) -> None:
        if data:
            self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Response):
                if self.ws.handshake_exc is not None:
                    self.opened.set_exception(self.ws.handshake_exc)
                else:
                    self.opened.set_result(None)
            elif event.opcode is Opcode.TEXT or event.opcode is Opcode.CONT:
                # Whole messages only: daphne does not fragment, but the protocol allows it.
                if event.fin and not self.fragments:
                    self.on_text(event.data.decode())
                elif event.fin:
                    self.on_text(b"".join([*self.fragments, event.data]).decode())
                    self.fragments = []
                else:
                    self.fragments.append(event.data)
        self.flush()

    def eof_received(self) -> bool:
        self.ws.receive_eof()
        self.flush()
        return False

    def flush(self) -> None:
        """Write what the protocol wants sent (the handshake, pongs, the close frame)."""
        if self.transport is None:
            return
        for data in self.ws.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                self.transport.write_eof()
        if self.ws.close_expected():
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or InvalidHandshake("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)

    def send_text(self, text: str) -> None:
        self.ws.send_text(text.encode())
        self.flush()

    @property
    def is_open(self) -> bool:
        return self.ws.state is State.OPEN

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    async def close(self, timeout: float = 5) -> None:
        if self.ws.state is State.OPEN:
            self.ws.send_close()
            self.flush()
        try:
            async with asyncio.timeout(timeout):
                await self.closed
        except TimeoutError:
            self.abort()

"""A lean websocket client for thousands of listening sockets in one process: websockets'
Sans-I/O protocol on an asyncio BufferedProtocol.

websockets' asyncio client adds a future, a queue hop and a task wake-up to every message;
with 1,000-2,000 sockets at 10 frames/s each, the generator's core, not the server, would set
the latencies. Here each read is parsed in the loop's callback and every text message handed
to a function; pings are answered, the close handshake is done. Measured here: some 20-50 µs
per frame in all, most of it the recv system call."""

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
        self.ws.receive_data(BUFFER[:nbytes].tobytes())
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

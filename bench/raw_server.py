"""A minimal raw `websockets` broadcast server: the ceiling the app's live fan-out is measured
against. Every socket (any path) is a listener; each `<i> <text>` on a socket at /control is
broadcast once, as a card-like frame with a cursor, to every listener and answered `ok <i>`.

    python -m bench.raw_server --port 8765 [--pad 700]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
from html import escape

from websockets.asyncio.server import ServerConnection, broadcast, serve

CARD = (
    '<div hx-swap-oob="afterbegin:#wall"><article class="card card--insight card--new">'
    '<p class="card__text">{text}</p></article></div>'
)


async def main(port: int, pad: int) -> None:
    listeners: set[ServerConnection] = set()
    cursor = itertools.count(1)

    async def handle(ws: ServerConnection) -> None:
        if ws.request is not None and ws.request.path.startswith("/control"):
            async for message in ws:
                i, _, text = str(message).partition(" ")
                frame = f"<!--c:{next(cursor)}-->" + CARD.format(text=escape(text))
                # Padded to the size of the app's frames, so both move the same bytes.
                broadcast(listeners, frame.ljust(pad))
                await ws.send(f"ok {i}")
            return
        listeners.add(ws)
        try:
            await ws.wait_closed()
        finally:
            listeners.discard(ws)

    # No permessage-deflate: daphne does not negotiate it either.
    async with serve(handle, "127.0.0.1", port, compression=None, ping_interval=15):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--pad", type=int, default=0, help="pad every frame to this many chars")
    args = parser.parse_args()
    asyncio.run(main(args.port, args.pad))

"""How the bench reaches a server as the room does: phones join over HTTP and open a socket,
posters post the phone's form; against the raw server, a control socket stands in for posts."""

from __future__ import annotations

import asyncio
import http.client
import json
import random
import re
import uuid
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Protocol
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect

from bench.servers import CODE, Server
from bench.sockets import Listener

CURSOR = re.compile(rb'<body[^>]*\sdata-cursor="(\d+)"')


@dataclass
class Endpoint:
    """Where one socket connects, and the headers a browser would send with it."""

    url: str
    origin: str
    headers: dict[str, str]


class Client(Protocol):
    failures: Counter[str]

    async def phone(self, index: int) -> Endpoint: ...
    def projector(self) -> Endpoint: ...
    async def open_posters(self, count: int) -> None: ...
    async def post(self, i: int, text: str) -> bool: ...
    async def close(self) -> None: ...


@dataclass
class Session:
    port: int
    sessionid: str
    csrftoken: str
    cursor: int
    language: str = "sv"
    # Posting over the socket: the phone's own socket, and its posts waiting for an answer.
    listener: Listener | None = None
    answers: deque[tuple[str, asyncio.Future[bool]]] = field(default_factory=deque)


POST_OVER = ("socket", "http")


class AppClient:
    """The app over HTTP (stdlib http.client in a thread pool) and its workshop socket.

    Posters post as the phone's page does: over their open socket (`over="socket"`: the
    form's ws-send), or over HTTP (`over="http"`: the page's path when its socket is down)."""

    def __init__(
        self, server: Server, threads: int = 64, over: str = "socket", english: float = 0.0
    ) -> None:
        if over not in POST_OVER:
            raise ValueError(f"post over one of {POST_OVER}, not {over!r}")
        self.over = over
        # This share of the phones read English in the Swedish demo workshop: their pages and
        # sockets ask for it as a phone's browser does (Accept-Language, the page's `lang`).
        self.english = english
        self.server = server
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")
        self.posters: list[Session] = []
        self.failures: Counter[str] = Counter()

    def _origin(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"

    def language(self, index: int) -> str:
        """Every phone whose index crosses the next multiple of 1/english reads English."""
        return "en" if int((index + 1) * self.english) > int(index * self.english) else "sv"

    def _join(self, port: int, language: str = "sv") -> Session:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("GET", f"/j/{CODE}/", headers={"Accept-Language": language})
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        if response.status != 200:
            raise ConnectionRefusedError(f"GET /j/{CODE}/ answered {response.status}")
        cookies = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        match = CURSOR.search(body)
        if "sessionid" not in cookies or "csrftoken" not in cookies or match is None:
            raise ConnectionRefusedError("the phone page set no session/CSRF cookie or cursor")
        return Session(
            port, cookies["sessionid"].value, cookies["csrftoken"].value, int(match[1]), language
        )

    async def _join_async(self, index: int) -> Session:
        port = self.server.ports[index % len(self.server.ports)]
        language = self.language(index)
        return await asyncio.get_running_loop().run_in_executor(
            self.pool, self._join, port, language
        )

    async def phone(self, index: int) -> Endpoint:
        s = await self._join_async(index)
        url = f"ws://127.0.0.1:{s.port}/ws/w/{CODE}/?view=phone&lang={s.language}&cursor={s.cursor}"
        return Endpoint(url, self._origin(s.port), {"Cookie": f"sessionid={s.sessionid}"})

    def projector(self) -> Endpoint:
        port, key = self.server.ports[0], self.server.projector_key
        url = f"ws://127.0.0.1:{port}/ws/w/{CODE}/?view=projector&key={key}"
        return Endpoint(url, self._origin(port), {})

    async def open_posters(self, count: int) -> None:
        self.posters = list(await asyncio.gather(*(self._join_async(i) for i in range(count))))
        if self.over == "socket":
            await asyncio.gather(*(self._open_socket(s) for s in self.posters))

    async def _open_socket(self, s: Session) -> None:
        """The poster's own socket. It gets the room's frames as every phone does (they are
        not counted here); what is not a frame is the answer to its oldest post."""

        def on_text(text: str) -> None:
            if text.startswith("<!--c:") or not s.answers:
                return
            key, answer = s.answers.popleft()
            if not answer.done():  # one that timed out keeps its place in the order
                answer.set_result(f'data-sent-key="{key}"' in text)

        url = f"ws://127.0.0.1:{s.port}/ws/w/{CODE}/?view=phone&lang={s.language}&cursor={s.cursor}"
        headers = {"Cookie": f"sessionid={s.sessionid}"}
        s.listener = await Listener.open(url, self._origin(s.port), headers, on_text)

    async def _post_socket(self, s: Session, text: str) -> bool:
        """The form as the page's ws-send sends it; the answer is the form again, with the
        saved post's key when it was saved."""
        assert s.listener is not None
        if not s.listener.is_open:
            self.failures["socket closed"] += 1
            return False
        key = uuid.uuid4().hex
        answer = asyncio.get_running_loop().create_future()
        s.answers.append((key, answer))
        message = {"action": "post", "kind": "insight", "text": text, "client_key": key}
        s.listener.send_text(json.dumps(message))
        try:
            saved = await asyncio.wait_for(answer, 60)
        except TimeoutError:
            self.failures["socket: no answer in 60 s"] += 1
            return False
        if not saved:
            self.failures["socket: not saved"] += 1
        return saved

    def _post(self, s: Session, text: str) -> bool:
        key = uuid.uuid4().hex
        form = {"kind": "insight", "text": text, "client_key": key}
        origin = self._origin(s.port)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"sessionid={s.sessionid}; csrftoken={s.csrftoken}",
            "X-CSRFToken": s.csrftoken,
            "HX-Request": "true",
            "Origin": origin,
            "Referer": f"{origin}/j/{CODE}/",
        }
        body = urlencode({**form, "csrfmiddlewaretoken": s.csrftoken})
        # A connection per post: a phone on the venue wifi does not keep one open either.
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
        try:
            conn.request("POST", f"/j/{CODE}/post/", body, headers)
            response = conn.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.failures[type(exc).__name__] += 1
            return False
        finally:
            conn.close()
        # 200 alone is not enough: a form error is a 200 too; the saved post names its key.
        if response.status != 200 or f'data-sent-key="{key}"'.encode() not in answer:
            self.failures[f"HTTP {response.status}"] += 1
            return False
        return True

    async def post(self, i: int, text: str) -> bool:
        poster = self.posters[i % len(self.posters)]
        if self.over == "socket":
            return await self._post_socket(poster, text)
        return await asyncio.get_running_loop().run_in_executor(self.pool, self._post, poster, text)

    async def close(self) -> None:
        listeners = [s.listener for s in self.posters if s.listener is not None]
        await asyncio.gather(*(listener.close() for listener in listeners))
        self.pool.shutdown(wait=False, cancel_futures=True)


class RawClient:
    """bench/raw_server.py: no HTTP; posts go as `<i> <text>` over one control socket."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.control: ClientConnection | None = None
        self.waiting: dict[int, asyncio.Future[bool]] = {}
        self.reader: asyncio.Task | None = None
        self.failures: Counter[str] = Counter()

    def _endpoint(self, path: str) -> Endpoint:
        port = self.server.ports[0]
        return Endpoint(f"ws://127.0.0.1:{port}{path}", f"http://127.0.0.1:{port}", {})

    async def phone(self, index: int) -> Endpoint:
        return self._endpoint(f"/ws/w/{CODE}/?view=phone&cursor=0")

    def projector(self) -> Endpoint:
        return self._endpoint(f"/ws/w/{CODE}/?view=projector")

    async def open_posters(self, count: int) -> None:
        self.control = await connect(self._endpoint("/control").url, compression=None)
        self.reader = asyncio.create_task(self._acks())

    async def _acks(self) -> None:
        assert self.control is not None
        async for message in self.control:
            future = self.waiting.pop(int(str(message).split()[1]), None)
            if future is not None and not future.done():
                future.set_result(True)

    async def post(self, i: int, text: str) -> bool:
        assert self.control is not None
        future = self.waiting[i] = asyncio.get_running_loop().create_future()
        await self.control.send(f"{i} {text}")
        return await future

    async def close(self) -> None:
        if self.control is not None:
            await self.control.close()
        if self.reader is not None:
            self.reader.cancel()


def thought(i: int, tail: str = "a thought from the bench") -> str:
    """Post i's text: "bench-<i>" (how a frame is matched to its post) and words of its own,
    so that no two posts look alike to the similar-post check (insights/duplicates.py), as
    in a real room most do not; otherwise every post would be offered its twin instead."""
    rng = random.Random(i)
    letters = "abcdefghijklmnopqrstuvwxyzåäö"
    words = ("".join(rng.choice(letters) for _ in range(rng.randint(4, 9))) for _ in range(6))
    return f"bench-{i} {tail} {' '.join(words)}"

"""One bench run: N phones load their page (the ramp), then open their sockets and a
projector's all at once (the storm); post R/s open-loop for S seconds, and measure what reached
every socket, in which order and how late. A soak posts longer while a tenth of the phones
reconnect every 30 s with their last cursor, and checks nothing was lost and memory held."""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench.clients import AppClient, Client, Endpoint, RawClient, thought
from bench.servers import ROOT, Sampler, app_server, cpu_seconds, raw_server
from bench.sockets import Listener

# Every frame starts with its cursor; a new post's card carries its text. Two plain regexes
# (about 1 µs a frame) instead of one with a lazy `.*?` between them (15 µs: it backtracks).
CURSOR = re.compile(r"<!--c:(\d+)")
POST = re.compile(r"bench-(\d+)")
clock = time.monotonic
LATENCY_QS = (("p50", 50), ("p95", 95), ("p99", 99))
# Above this the generator itself is the bottleneck and its timings say little of the server.
GENERATOR_LIMIT_PCT = 90.0
# More than this of another process's CPU on the server's or the generator's core: noisy.
NOISE_LIMIT_PCT = 25.0
# The raw server pads its frames to the app's mean frame: that of the app's run just before
# it (`--with-raw`), else this, the app's on the demo at 1,000 phones (frame_chars_mean).
RAW_FRAME_CHARS = 472
# The app's posting limit per phone (LABBET_RATE_POST's default), and the posters used
# when that limit is off.
DEFAULT_POST_LIMIT, DEFAULT_POSTERS = (5, 30), 20
CURSOR_PARAM = re.compile(r"cursor=\d+")


@dataclass
class Config:
    phones: int
    rate: float = 10.0
    seconds: float = 30.0
    posters: int = 0  # at least this many; more when the posting limit needs them
    page_concurrency: int = 50  # the ramp: phone pages loaded this many at a time
    grace: float = 5.0  # how long after the last post answer a frame may still arrive
    # The soak: every `churn_every` s, `churn_fraction` of the phones reconnect with a cursor.
    churn_every: float = 30.0
    churn_fraction: float = 0.10
    seed: int = 7
    # How posts travel: over each poster's socket as the phone's page sends them, or over
    # HTTP (the page's fallback when its socket is down).
    post_over: str = "socket"
    # An attacker: this many sockets of one phone session send `resume` from cursor 0 in a
    # loop while the room posts (not counted among the room's sockets).
    resume_flood: int = 0
    resume_every: float = 0.01  # seconds between one flood socket's messages
    # This share of the phones (and posters) read English in the Swedish workshop.
    english: float = 0.2

    def __post_init__(self) -> None:
        self.posters = posters_needed(self.rate, self.seconds, self.posters)


def post_limit(env: Mapping[str, str] | None = None) -> tuple[int, int] | None:
    """The app's posting limit per phone as the bench server gets it: LABBET_RATE_POST from
    this environment (COUNT/SECONDS or off), else the app's default of 5 per 30 s."""
    raw = (os.environ if env is None else env).get("LABBET_RATE_POST", "").strip().lower()
    if not raw:
        return DEFAULT_POST_LIMIT
    if raw in {"off", "0", "none"}:
        return None
    count, seconds = (int(part) for part in raw.split("/"))
    return count, seconds


def posters_needed(
    rate: float, seconds: float, given: int = 0, limit: tuple[int, int] | None = None
) -> int:
    """How many poster phones the round-robin needs so that none is refused by the posting
    limit: each makes at most COUNT-1 posts per window (the app's windows are fixed, so one
    more may fall into a window than the spacing suggests), i.e. ceil(rate × 30 / 4) phones
    for 5 per 30 s; a run too short to post that often needs only ceil(posts / 4)."""
    limit = post_limit() if limit is None else limit
    if not limit:
        return max(given, 1) if given else DEFAULT_POSTERS
    count, window = limit
    per_phone = max(1, count - 1)
    needed = min(math.ceil(rate * window / per_phone), math.ceil(rate * seconds / per_phone))
    return max(given, needed, 1)


@dataclass
class Socket:
    """What one client socket saw, across its reconnects: first arrival per post id, and what
    was wrong (a reconnect resumes from `last_seq`, so these count over the whole life)."""

    name: str
    endpoint: Endpoint | None = None
    arrivals: dict[int, float] = field(default_factory=dict)
    last_seq: int = -1
    duplicates: int = 0
    out_of_order: int = 0
    gaps: int = 0  # every view gets every cursor, so a skipped one is a lost frame
    dropped: bool = False
    closing: bool = False  # closed on purpose (the soak's reconnects, the end): not a drop
    chars: int = 0
    frames: int = 0
    refreshes: int = 0  # fresh regions instead of a replay (the gap was too large)
    reconnects: int = 0
    listener: Listener | None = None

    def resume_url(self) -> str:
        """Where this socket reconnects: its URL with the last cursor it saw."""
        assert self.endpoint is not None
        if self.last_seq < 0:
            return self.endpoint.url
        return CURSOR_PARAM.sub(f"cursor={self.last_seq}", self.endpoint.url)


class Room:
    """The sockets of a run and a running count of first arrivals (for the drain)."""

    def __init__(self) -> None:
        self.sockets: list[Socket] = []
        self.refused: Counter[str] = Counter()  # page loads and sockets that failed
        self.page_refused = 0
        self.storm_refused = 0
        self.reconnect_failures = 0
        self.delivered = 0
        self.closing = False

    def receiver(self, sock: Socket) -> Callable[[str], None]:
        def on_text(message: str) -> None:
            now = clock()
            sock.frames += 1
            sock.chars += len(message)
            cursor = CURSOR.match(message)
            if cursor is None:
                return
            seq = int(cursor[1])
            if message.startswith(" r", cursor.end()):
                # A fresh region: the whole wall as it is now, seen before or not.
                sock.refreshes += 1
                sock.last_seq = max(sock.last_seq, seq)
                for found in POST.finditer(message):
                    self.arrived(sock, int(found[1]), now, refresh=True)
                return
            if seq <= sock.last_seq:
                sock.out_of_order += 1
            else:
                sock.gaps += sock.last_seq >= 0 and seq > sock.last_seq + 1
                sock.last_seq = seq
            # One event may carry several posts (a room that pressed Send together).
            for found in POST.finditer(message):
                self.arrived(sock, int(found[1]), now)

        return on_text

    def arrived(self, sock: Socket, post: int, now: float, refresh: bool = False) -> None:
        if post not in sock.arrivals:
            sock.arrivals[post] = now
            self.delivered += 1
        elif not refresh:
            sock.duplicates += 1

    async def load_pages(self, client: Client, phones: int, concurrency: int) -> list[Socket]:
        """The ramp: every phone loads its page (the session, the cursor), `concurrency` at
        a time; the projector needs none. Returns the sockets to open."""
        gate = asyncio.Semaphore(concurrency)

        async def page(index: int) -> Socket | None:
            async with gate:
                try:
                    return Socket(f"phone-{index}", await client.phone(index))
                except Exception as exc:
                    self.refused[f"page: {type(exc).__name__}"] += 1
                    self.page_refused += 1
                    return None

        loaded = await asyncio.gather(*(page(i) for i in range(phones)))
        return [Socket("projector", client.projector()), *(s for s in loaded if s)]

    async def open(self, sock: Socket, url: str | None = None) -> float:
        """Open `sock`'s websocket (raises on refusal); returns when it was open."""
        assert sock.endpoint is not None
        end = sock.endpoint
        listener = await Listener.open(url or end.url, end.origin, end.headers, self.receiver(sock))
        sock.listener = listener
        listener.closed.add_done_callback(lambda _: self.dropped(sock, listener))
        return clock()

    async def storm(self, sockets: list[Socket]) -> float:
        """Every socket opened at once; the seconds from the first attempt to the last open."""

        async def one(sock: Socket) -> float | None:
            try:
                opened = await self.open(sock)
            except Exception as exc:
                self.refused[f"socket: {type(exc).__name__}"] += 1
                self.storm_refused += 1
                return None
            self.sockets.append(sock)
            return opened

        started = clock()
        opened = [t for t in await asyncio.gather(*(one(s) for s in sockets)) if t is not None]
        return max(opened, default=started) - started

    async def reconnect(self, sock: Socket) -> bool:
        """Close the socket as a phone losing the wifi would, and open it again with the last
        cursor it saw: the server must replay what it missed."""
        if sock.listener is not None:
            sock.closing = True
            await sock.listener.close()
            sock.closing = False
        try:
            await self.open(sock, sock.resume_url())
        except Exception as exc:
            self.refused[f"reconnect: {type(exc).__name__}"] += 1
            self.reconnect_failures += 1
            sock.dropped = True
            return False
        sock.reconnects += 1
        return True

    def dropped(self, sock: Socket, listener: Listener) -> None:
        # Only the socket's current listener counts: one closed for a reconnect does not.
        if not self.closing and not sock.closing and sock.listener is listener:
            sock.dropped = True

    async def close(self) -> None:
        self.closing = True
        await asyncio.gather(*(s.listener.close() for s in self.sockets if s.listener))


@dataclass
class Flood:
    """What the flooding session's sockets sent and got back."""

    sockets: int = 0
    sent: int = 0
    frames: int = 0
    chars: int = 0
    closed: int = 0
    refused: int = 0


async def resume_flood(client: AppClient, config: Config, until: float, flood: Flood) -> None:
    """`config.resume_flood` sockets of one session, each sending {"action": "resume",
    "cursor": 0} every `resume_every` s until `until` (a closed one stays closed: an attacker
    reconnecting is the join storm's cost, measured there)."""
    endpoint = await client.phone(10**6)  # a session of its own, not one of the room's

    def on_text(text: str) -> None:
        flood.frames += 1
        flood.chars += len(text)

    message = json.dumps({"action": "resume", "cursor": 0})

    async def one() -> None:
        try:
            listener = await Listener.open(endpoint.url, endpoint.origin, endpoint.headers, on_text)
        except Exception:
            flood.refused += 1
            return
        flood.sockets += 1
        try:
            while clock() < until:
                if not listener.is_open:
                    flood.closed += 1
                    return
                listener.send_text(message)
                flood.sent += 1
                await asyncio.sleep(config.resume_every)
        finally:
            await listener.close()

    await asyncio.gather(*(one() for _ in range(config.resume_flood)))


def churn_pick(sockets: list[Socket], fraction: float, rng: random.Random) -> list[Socket]:
    """The phones that reconnect this round: `fraction` of them, at least one, at random
    (never the projector, which sits on a cable)."""
    phones = [s for s in sockets if s.name != "projector" and not s.dropped]
    if not phones or fraction <= 0:
        return []
    return rng.sample(phones, max(1, round(fraction * len(phones))))


def lost_frames(sockets: list[Socket], accepted: list[int]) -> dict[str, Any]:
    """What never reached a socket, live or replayed, by the end: each accepted post counts
    once for every socket that lacks it (a socket that could not reconnect lacks the rest)."""
    lost = {s.name: [i for i in accepted if i not in s.arrivals] for s in sockets}
    lacking = {name: missing for name, missing in lost.items() if missing}
    return {
        "frames_lost": sum(len(m) for m in lacking.values()),
        "sockets_lacking": len(lacking),
        "lost_examples": dict(list(lacking.items())[:10]),
    }


async def connect(room: Room, client: Client, config: Config) -> dict[str, Any]:
    """The join: the ramp of page loads, then the storm of every socket at once."""
    started = clock()
    sockets = await room.load_pages(client, config.phones, config.page_concurrency)
    page_seconds = clock() - started
    print(
        f"bench: page loads {len(sockets) - 1} in {page_seconds:.1f} s "
        f"({room.page_refused} refused); socket storm …",
        flush=True,
    )
    storm_seconds = await room.storm(sockets)
    print(
        f"bench: socket storm: {len(room.sockets)} sockets in {storm_seconds:.1f} s, "
        f"refused {room.storm_refused}",
        flush=True,
    )
    return {
        "page_loads": len(sockets) - 1,
        "page_loads_refused": room.page_refused,
        "page_load_seconds": round(page_seconds, 2),
        "storm_sockets": len(room.sockets),
        "storm_refused": room.storm_refused,
        "storm_seconds": round(storm_seconds, 2),
    }


async def post_open_loop(
    client: Client, total: int, rate: float, t0: float
) -> tuple[list[float], list[bool], list[float]]:
    """Post `total` posts at `rate`/s from `t0`: when each was due, whether it was accepted
    and how long its answer took from when it was due."""
    scheduled: list[float] = []
    accepted: list[bool] = [False] * total
    answered: list[float] = [math.nan] * total

    async def post(i: int) -> None:
        accepted[i] = await client.post(i, thought(i))
        answered[i] = clock() - scheduled[i]

    tasks = []
    for i in range(total):
        # Open loop: post i is due at t0 + i/R whatever happened before, and every latency
        # counts from that moment, so a slow server (or generator) cannot hide a delay.
        scheduled.append(t0 + i / rate)
        delay = scheduled[i] - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(post(i)))
    await asyncio.gather(*tasks)
    return scheduled, accepted, answered


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of sorted `values` (None when there are none)."""
    if not values:
        return None
    return values[min(len(values) - 1, max(0, math.ceil(q / 100 * len(values)) - 1))]


def busy_pct(before: Any, after: Any) -> float:
    """How busy one core was between two psutil.cpu_times(percpu=True) readings."""
    total = sum(after) - sum(before)
    idle = (after.idle - before.idle) + (getattr(after, "iowait", 0) - getattr(before, "iowait", 0))
    return 100 * (1 - idle / total) if total > 0 else 0.0


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


async def churn(
    room: Room, config: Config, t0: float, until: float, rounds: list[dict[str, Any]]
) -> None:
    """The soak's wifi: every `churn_every` s from t0 until `until`, a random tenth of the
    phones close their socket and reconnect at once with their last cursor."""
    rng = random.Random(config.seed)
    at = t0 + config.churn_every
    while at < until:
        await asyncio.sleep(max(0.0, at - clock()))
        picked = churn_pick(room.sockets, config.churn_fraction, rng)
        started = clock()
        results = await asyncio.gather(*(room.reconnect(s) for s in picked))
        rounds.append(
            {
                "at_s": round(at - t0, 1),
                "reconnected": sum(results),
                "failed": len(results) - sum(results),
                "seconds": round(clock() - started, 2),
            }
        )
        print(
            f"bench: soak {at - t0:.0f} s: {sum(results)}/{len(picked)} phones reconnected "
            f"with their cursor",
            flush=True,
        )
        at += config.churn_every


async def run(
    client: Client,
    config: Config,
    sampler: Sampler,
    soak: float = 0.0,
    services: Callable[[], list[int]] | None = None,
    services_core: int = 0,
) -> dict[str, Any]:
    """Connect, post, drain, and return the run's figures (see bench/__main__.py's table).
    With `soak` seconds: post that long while phones reconnect (see `churn`), and add the
    soak's figures (memory growth, frames lost, reconnects)."""
    room = Room()
    joined = await connect(room, client, config)
    await client.open_posters(config.posters)
    seconds = soak or config.seconds
    print(
        f"bench: posting {config.rate:g}/s for {seconds:g} s from {config.posters} phones …",
        flush=True,
    )

    total = round(config.rate * seconds)
    me = psutil.Process()
    cpu_before, cores_before, t0 = me.cpu_times(), psutil.cpu_times(percpu=True), clock() + 0.05
    server_before, loop_before = sampler.cpu_seconds(), sampler.loop_cpu_seconds()
    services_before = cpu_seconds(services()) if services else 0.0
    rss_start = sampler.rss_bytes()
    rounds: list[dict[str, Any]] = []
    churning = asyncio.create_task(churn(room, config, t0, t0 + seconds, rounds)) if soak else None
    flood = Flood()
    flooding = (
        asyncio.create_task(resume_flood(client, config, t0 + seconds, flood))
        if config.resume_flood and isinstance(client, AppClient)
        else None
    )
    scheduled, accepted, answered = await post_open_loop(client, total, config.rate, t0)
    if churning is not None:
        await churning
    if flooding is not None:
        await flooding
    expected = sum(accepted) * len(room.sockets)
    deadline = clock() + config.grace
    while room.delivered < expected and clock() < deadline:
        await asyncio.sleep(0.05)
    t1 = clock()
    cpu_after, cores_after = me.cpu_times(), psutil.cpu_times(percpu=True)
    server_cpu_s = sampler.cpu_seconds() - server_before
    loop_cpu_s = sampler.loop_cpu_seconds() - loop_before
    services_cpu_s = cpu_seconds(services()) - services_before if services else 0.0
    rss_end = sampler.rss_bytes()
    await room.close()
    await client.close()

    ok = [i for i in range(total) if accepted[i]]
    latencies: list[float] = []
    reach: list[int] = []
    for sock in room.sockets:
        got = [sock.arrivals[i] - scheduled[i] for i in ok if i in sock.arrivals]
        latencies.extend(got)
        reach.append(len(got))
    latencies.sort()
    # Which posts were slowest to reach their last socket (post index, ms, sockets reached
    # late): a stall shows as a run of neighbouring posts, a slow socket as one post's tail.
    slowest = sorted(
        (
            (max(late), i, sum(t > 0.25 for t in late))
            for i in ok
            if (late := [s.arrivals[i] - scheduled[i] for s in room.sockets if i in s.arrivals])
        ),
        reverse=True,
    )[:10]
    # Which accepted posts did not reach every socket: lost for good, or only late (the end)?
    missing = [i for i in ok if any(i not in sock.arrivals for sock in room.sockets)]
    post_latency = sorted(answered)
    delivered = sum(reach)
    frames, chars = sum(s.frames for s in room.sockets), sum(s.chars for s in room.sockets)
    window = t1 - t0
    generator_cpu = (
        (cpu_after.user - cpu_before.user + cpu_after.system - cpu_before.system) / window * 100
    )
    server = sampler.summary(t0, t1)
    services_cpu_pct = services_cpu_s / window * 100
    busy = [busy_pct(b, a) for b, a in zip(cores_before, cores_after, strict=True)]
    # What else ran on the two cores: other people's test suites make every timing worse.
    # (A scale-out run's own PostgreSQL and Redis, on either core: theirs is not "other".)
    others = [busy[0] - server["server_cpu_pct"], busy[-1] - generator_cpu]
    others[0 if services_core == 0 else -1] -= services_cpu_pct
    result: dict[str, Any] = {
        "phones": config.phones,
        "rate": config.rate,
        "seconds": seconds,
        "posters": config.posters,
        "post_over": config.post_over if isinstance(client, AppClient) else "control socket",
        **joined,
        "sockets_connected": len(room.sockets),
        "sockets_refused": sum(room.refused.values()),
        "refused_reasons": dict(room.refused),
        "sockets_dropped": sum(s.dropped for s in room.sockets),
        # The old name of the join's time: now the page loads and the storm together.
        "connect_seconds": round(joined["page_load_seconds"] + joined["storm_seconds"], 2),
        "posts_sent": total,
        "posts_accepted": len(ok),
        "post_failures": dict(client.failures),
        "frames_delivered": delivered,
        "frames_expected": expected,
        "reach_pct": round(100 * delivered / expected, 2) if expected else None,
        "worst_client_pct": round(100 * min(reach) / len(ok), 2) if ok and reach else None,
        "posts_missing_somewhere": missing[:50],
        "duplicates": sum(s.duplicates for s in room.sockets),
        "out_of_order": sum(s.out_of_order for s in room.sockets),
        "cursor_gaps": sum(s.gaps for s in room.sockets),
        "frames_per_s": round(delivered / seconds, 1),
        "frame_chars_mean": round(chars / frames) if frames else None,
        **{f"latency_{k}_ms": ms(percentile(latencies, q)) for k, q in LATENCY_QS},
        "latency_max_ms": ms(latencies[-1] if latencies else None),
        "slowest_posts": [
            {"post": i, "last_socket_ms": ms(t), "sockets_over_250_ms": n} for t, i, n in slowest
        ],
        "post_p50_ms": ms(percentile(post_latency, 50)),
        "post_p95_ms": ms(percentile(post_latency, 95)),
        # In posting order: a queue that grows through the run shows as a rising line.
        "post_answer_ms": [ms(a) for a in answered],
        **server,
        "window_s": round(window, 1),
        "server_cpu_s": round(server_cpu_s, 1),
        # What the server spends per delivered frame (posts included): robust to other load.
        "server_us_per_frame": round(server_cpu_s / delivered * 1e6, 1) if delivered else None,
        # What a post costs the server in all, its fan-out to every socket included.
        "server_cpu_ms_per_post": round(server_cpu_s / len(ok) * 1e3, 2) if ok else None,
        # The same, split: the event loop's (the sockets, the fan-out to every one of them)
        # and the other threads' (each post's validation, saving and rendering).
        "loop_cpu_ms_per_post": round(loop_cpu_s / len(ok) * 1e3, 2) if ok else None,
        "handling_cpu_ms_per_post": (
            round((server_cpu_s - loop_cpu_s) / len(ok) * 1e3, 2) if ok else None
        ),
        "services_cpu_s": round(services_cpu_s, 1),
        "services_cpu_pct": round(services_cpu_pct, 1),
        "generator_cpu_pct": round(generator_cpu, 1),
        "generator_us_per_frame": round(generator_cpu / 100 * window / frames * 1e6, 1)
        if frames
        else None,
        "core_busy_pct": [round(b, 1) for b in busy],
        "others_cpu_pct": [round(max(0.0, o), 1) for o in others],
        "valid": generator_cpu <= GENERATOR_LIMIT_PCT,
        "noisy": max(others) > NOISE_LIMIT_PCT,
    }
    if config.resume_flood:
        result["resume_flood"] = {
            "sockets_asked": config.resume_flood,
            "sockets_opened": flood.sockets,
            "sockets_refused": flood.refused,
            "sockets_closed_by_server": flood.closed,
            "resumes_sent": flood.sent,
            "frames_back": flood.frames,
            "chars_back": flood.chars,
        }
    if soak:
        result["soak"] = {
            "seconds": soak,
            "churn_every_s": config.churn_every,
            "churn_fraction": config.churn_fraction,
            "rounds": rounds,
            "reconnects": sum(s.reconnects for s in room.sockets),
            "reconnect_failures": room.reconnect_failures,
            "refreshes": sum(s.refreshes for s in room.sockets),
            **rss_growth(rss_start, rss_end),
            **lost_frames(room.sockets, ok),
        }
    return result


def rss_growth(start: int, end: int) -> dict[str, Any]:
    """The server's memory at the start of the soak and at its end (after the drain)."""
    return {
        "rss_start_mb": round(start / 2**20, 1),
        "rss_end_mb": round(end / 2**20, 1),
        "rss_growth_pct": round(100 * (end - start) / start, 1) if start else None,
    }


CAPACITY = re.compile(r"capacity", re.IGNORECASE)


def capacity_warnings(log: str) -> list[str]:
    """The server log's lines about the channel layer's capacity ("over capacity", ChannelFull
    and the like): a sign that frames were dropped or queued beyond what the layer holds."""
    return [line.strip() for line in log.splitlines() if CAPACITY.search(line)]


def measure(
    config: Config,
    raw: bool = False,
    database_url: str | None = None,
    app_dir: Path = ROOT,
    processes: int = 1,
    redis_url: str | None = None,
    soak: float = 0.0,
    services: Callable[[], list[int]] | None = None,
    services_core: int = 0,
    frame_chars: int | None = None,
) -> dict[str, Any]:
    """One run against a fresh server, stopped afterwards whatever happens: the app with
    `processes` daphne processes (several need `redis_url` and a shared `database_url`), or
    the raw server, its frames padded to `frame_chars`. `services` lists the pids of the
    scale-out's PostgreSQL and Redis."""
    if raw:
        start = raw_server(frame_chars or RAW_FRAME_CHARS)
    else:
        start = app_server(database_url, app_dir, processes, redis_url)
    with start as server:
        # The pids, for attaching a profiler (py-spy record --pid ...) while the run goes.
        print(f"bench: server pid {server.pids} on port {server.ports}", flush=True)
        sampler = Sampler(server.pids)
        sampler.start()
        try:
            client: Client = (
                RawClient(server)
                if raw
                else AppClient(server, over=config.post_over, english=config.english)
            )
            result = asyncio.run(run(client, config, sampler, soak, services, services_core))
        finally:
            sampler.stop()
        log = server.log_text()
        if result["post_failures"] or result["sockets_refused"] or result["sockets_dropped"]:
            result["server_log_tail"] = log[-3000:]  # the temp dir goes with the server
    warnings = capacity_warnings(log)
    result["capacity_warnings"] = len(warnings)
    result["capacity_examples"] = warnings[:10]
    return {"mode": "raw" if raw else "app", "processes": len(server.ports), **result}

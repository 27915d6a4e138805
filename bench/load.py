"""One bench run: connect N phone sockets and a projector in a ramp, post R/s open-loop for
S seconds, and measure what reached every socket, in which order and how late."""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench.clients import AppClient, Client, RawClient
from bench.servers import ROOT, Sampler, app_server, raw_server
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
# The raw server pads its frames to the app's mean frame on the demo (frame_chars_mean: 330).
RAW_FRAME_CHARS = 330


@dataclass
class Config:
    phones: int
    rate: float = 10.0
    seconds: float = 30.0
    posters: int = 20
    connect_concurrency: int = 50
    grace: float = 5.0  # how long after the last post answer a frame may still arrive


@dataclass
class Socket:
    """What one client socket saw: first arrival per post id, and what was wrong."""

    name: str
    arrivals: dict[int, float] = field(default_factory=dict)
    last_seq: int = -1
    duplicates: int = 0
    out_of_order: int = 0
    gaps: int = 0  # every view gets every cursor, so a skipped one is a lost frame
    dropped: bool = False
    chars: int = 0
    frames: int = 0


class Room:
    """The sockets of a run and a running count of first arrivals (for the drain)."""

    def __init__(self) -> None:
        self.sockets: list[Socket] = []
        self.listeners: list[Listener] = []
        self.refused: Counter[str] = Counter()
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
            if seq <= sock.last_seq:
                sock.out_of_order += 1
            else:
                sock.gaps += sock.last_seq >= 0 and seq > sock.last_seq + 1
                sock.last_seq = seq
            if found := POST.search(message):
                post = int(found[1])
                if post in sock.arrivals:
                    sock.duplicates += 1
                else:
                    sock.arrivals[post] = now
                    self.delivered += 1

        return on_text

    async def join(self, client: Client, name: str, index: int, gate: asyncio.Semaphore) -> None:
        sock = Socket(name)
        async with gate:
            try:
                end = client.projector() if name == "projector" else await client.phone(index)
                listener = await Listener.open(
                    end.url, end.origin, end.headers, self.receiver(sock)
                )
            except Exception as exc:
                self.refused[type(exc).__name__] += 1
                return
        self.sockets.append(sock)
        self.listeners.append(listener)
        listener.closed.add_done_callback(lambda _: self.dropped(sock))

    def dropped(self, sock: Socket) -> None:
        if not self.closing:
            sock.dropped = True

    async def close(self) -> None:
        self.closing = True
        await asyncio.gather(*(listener.close() for listener in self.listeners))


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


async def run(client: Client, config: Config, sampler: Sampler) -> dict[str, Any]:
    """Connect, post, drain, and return the run's figures (see bench/__main__.py's table)."""
    room = Room()
    gate = asyncio.Semaphore(config.connect_concurrency)
    started = clock()
    await asyncio.gather(
        room.join(client, "projector", 0, gate),
        *(room.join(client, f"phone-{i}", i, gate) for i in range(config.phones)),
    )
    connect_seconds = clock() - started
    await client.open_posters(config.posters)
    print(
        f"bench: {len(room.sockets)} sockets in {connect_seconds:.1f} s "
        f"({sum(room.refused.values())} refused); posting …",
        flush=True,
    )

    total = round(config.rate * config.seconds)
    scheduled: list[float] = []
    accepted: list[bool] = [False] * total
    answered: list[float] = [math.nan] * total

    async def post(i: int) -> None:
        accepted[i] = await client.post(i, f"bench-{i} a thought from the bench")
        answered[i] = clock() - scheduled[i]

    me = psutil.Process()
    cpu_before, cores_before, t0 = me.cpu_times(), psutil.cpu_times(percpu=True), clock() + 0.05
    server_before = sampler.cpu_seconds()
    tasks = []
    for i in range(total):
        # Open loop: post i is due at t0 + i/R whatever happened before, and every latency
        # counts from that moment, so a slow server (or generator) cannot hide a delay.
        scheduled.append(t0 + i / config.rate)
        delay = scheduled[i] - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(post(i)))
    await asyncio.gather(*tasks)
    expected = sum(accepted) * len(room.sockets)
    deadline = clock() + config.grace
    while room.delivered < expected and clock() < deadline:
        await asyncio.sleep(0.05)
    t1 = clock()
    cpu_after, cores_after = me.cpu_times(), psutil.cpu_times(percpu=True)
    server_cpu_s = sampler.cpu_seconds() - server_before
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
    # Which accepted posts did not reach every socket: lost for good, or only late (the end)?
    missing = [i for i in ok if any(i not in sock.arrivals for sock in room.sockets)]
    post_latency = sorted(answered)
    delivered = sum(reach)
    frames, chars = sum(s.frames for s in room.sockets), sum(s.chars for s in room.sockets)
    generator_cpu = (
        (cpu_after.user - cpu_before.user + cpu_after.system - cpu_before.system) / (t1 - t0) * 100
    )
    server = sampler.summary(t0, t1)
    busy = [busy_pct(b, a) for b, a in zip(cores_before, cores_after, strict=True)]
    # What else ran on the two cores: other people's test suites make every timing worse.
    others = [busy[0] - server["server_cpu_pct"], busy[-1] - generator_cpu]
    return {
        "phones": config.phones,
        "rate": config.rate,
        "seconds": config.seconds,
        "sockets_connected": len(room.sockets),
        "sockets_refused": sum(room.refused.values()),
        "refused_reasons": dict(room.refused),
        "sockets_dropped": sum(s.dropped for s in room.sockets),
        "connect_seconds": round(connect_seconds, 2),
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
        "frames_per_s": round(delivered / config.seconds, 1),
        "frame_chars_mean": round(chars / frames) if frames else None,
        **{f"latency_{k}_ms": ms(percentile(latencies, q)) for k, q in LATENCY_QS},
        "latency_max_ms": ms(latencies[-1] if latencies else None),
        "post_p50_ms": ms(percentile(post_latency, 50)),
        "post_p95_ms": ms(percentile(post_latency, 95)),
        # In posting order: a queue that grows through the run shows as a rising line.
        "post_answer_ms": [ms(a) for a in answered],
        **server,
        "window_s": round(t1 - t0, 1),
        "server_cpu_s": round(server_cpu_s, 1),
        # What the server spends per delivered frame (posts included): robust to other load.
        "server_us_per_frame": round(server_cpu_s / delivered * 1e6, 1) if delivered else None,
        "generator_cpu_pct": round(generator_cpu, 1),
        "generator_us_per_frame": round(generator_cpu / 100 * (t1 - t0) / frames * 1e6, 1)
        if frames
        else None,
        "core_busy_pct": [round(b, 1) for b in busy],
        "others_cpu_pct": [round(max(0.0, o), 1) for o in others],
        "valid": generator_cpu <= GENERATOR_LIMIT_PCT,
        "noisy": max(others) > NOISE_LIMIT_PCT,
    }


def measure(
    config: Config,
    raw: bool = False,
    database_url: str | None = None,
    app_dir: Path = ROOT,
) -> dict[str, Any]:
    """One run against a fresh server, stopped afterwards whatever happens."""
    start = raw_server(RAW_FRAME_CHARS) if raw else app_server(database_url, app_dir)
    with start as server:
        # The pids, for attaching a profiler (py-spy record --pid ...) while the run goes.
        print(f"bench: server pid {server.pids} on port {server.ports}", flush=True)
        sampler = Sampler(server.pids)
        sampler.start()
        try:
            client: Client = RawClient(server) if raw else AppClient(server)
            result = asyncio.run(run(client, config, sampler))
        finally:
            sampler.stop()
        if result["post_failures"] or result["sockets_refused"] or result["sockets_dropped"]:
            result["server_log_tail"] = server.log_tail()  # the temp dir goes with the server
    return {"mode": "raw" if raw else "app", **result}

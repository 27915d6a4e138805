"""`python -m bench.burst --posters 200`: that many phones press Send at the same moment (the
labber says "now write your suggestion") while `--room` phones (500) and a projector watch;
the answer time of each post, p50/p95/max, and whether every post reached every socket of the
room, how late. Over HTTP (the post request) by default; `--post-over socket` as the page posts
while its socket is open.

One daphne process as `make serve` runs it, on core 0; the generator on core 1."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from bench.clients import POST_OVER, AppClient, thought
from bench.load import Config, Room, clock, connect, lost_frames, percentile
from bench.servers import ROOT, Sampler, app_server, core_reference_ms, pin_generator

# How long after the last answer a post may still reach a room's socket.
DRAIN_S = 15.0


async def burst(
    client: AppClient, posters: int, sampler: Sampler, watching: int = 0
) -> tuple[list[float], dict]:
    room = Room()
    try:
        return await _burst(client, posters, sampler, room, watching)
    finally:
        await room.close()
        await client.close()  # in this loop: the posters' sockets belong to it


async def _burst(
    client: AppClient, posters: int, sampler: Sampler, room: Room, watching: int
) -> tuple[list[float], dict]:
    joined = await connect(room, client, Config(phones=watching)) if watching else {}
    await client.open_posters(posters)
    answered: list[float] = []
    accepted: list[int] = []
    started: dict[int, float] = {}
    cpu, loop, wall = sampler.cpu_seconds(), sampler.loop_cpu_seconds(), clock()

    async def one(i: int) -> None:
        started[i] = clock()
        if await client.post(i, thought(i, "burst")):
            answered.append(clock() - started[i])
            accepted.append(i)

    print(f"burst: {posters} phones press Send …", file=sys.stderr, flush=True)
    await asyncio.gather(*(one(i) for i in range(posters)))
    answers_s = clock() - wall
    # Then every accepted post on every socket of the room (a frame per post and socket).
    expected = len(accepted) * len(room.sockets)
    deadline = clock() + DRAIN_S
    while room.delivered < expected and clock() < deadline:
        await asyncio.sleep(0.05)
    # Whether the burst is bound by the server's CPU (its share near 100%) or by waiting.
    wall = clock() - wall
    cpu = sampler.cpu_seconds() - cpu
    loop = sampler.loop_cpu_seconds() - loop
    delays = sorted(
        sock.arrivals[i] - started[i]
        for sock in room.sockets
        for i in accepted
        if i in sock.arrivals
    )
    room_figures = {
        **joined,
        "room_sockets": len(room.sockets),
        "frames_expected": expected,
        "frames_delivered": room.delivered,
        "reach_pct": round(100 * room.delivered / expected, 2) if expected else None,
        "delivery_p95_ms": round(1000 * (percentile(delays, 95) or 0), 1),
        "delivery_max_ms": round(1000 * (delays[-1] if delays else 0), 1),
        "duplicates": sum(s.duplicates for s in room.sockets),
        **lost_frames(room.sockets, accepted),
    }
    cost = {
        **room_figures,
        "answers_s": round(answers_s, 2),
        "burst_s": round(wall, 2),
        "server_cpu_s": round(cpu, 2),
        "server_cpu_pct": round(100 * cpu / wall, 1),
        "server_cpu_ms_per_post": round(1000 * cpu / posters, 1),
        # Split as bench.load splits it: the event loop's, the other threads'.
        "loop_cpu_ms_per_post": round(1000 * loop / posters, 1),
        "handling_cpu_ms_per_post": round(1000 * (cpu - loop) / posters, 1),
    }
    return sorted(answered), cost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.burst", description=__doc__)
    parser.add_argument("--posters", type=int, default=200)
    parser.add_argument("--post-over", choices=POST_OVER, default="http")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--room",
        type=int,
        default=500,
        help="phones watching (page, then socket) besides a projector",
    )
    parser.add_argument(
        "--english", type=float, default=0.2, help="share of the posters reading English"
    )
    args = parser.parse_args(argv)
    pin_generator()
    with app_server() as server:
        sampler = Sampler(server.pids)
        sampler.start()
        client = AppClient(server, threads=args.posters, over=args.post_over, english=args.english)
        try:
            answered, cost = asyncio.run(burst(client, args.posters, sampler, args.room))
        finally:
            sampler.stop()
    ms = {q: round(1000 * (percentile(answered, q) or 0), 1) for q in (50, 95, 100)}
    result = {
        "posters": args.posters,
        "room": args.room,
        "post_over": args.post_over,
        "english": args.english,
        "accepted": len(answered),
        "failures": dict(client.failures),
        "post_p50_ms": ms[50],
        "post_p95_ms": ms[95],
        "post_max_ms": ms[100],
        "server_rss_peak_mb": sampler.summary(0, float("inf"))["server_rss_peak_mb"],
        **cost,
        "core_reference_ms": core_reference_ms(),
    }
    print(
        f"burst: {args.posters} posters at once over {args.post_over}: {len(answered)} accepted; "
        "post answer "
        f"p50 {ms[50]} ms, p95 {ms[95]} ms, max {ms[100]} ms; all answered in "
        f"{cost['answers_s']} s; room of {cost['room_sockets']} sockets: "
        f"{cost['reach_pct']}% delivered, p95 {cost['delivery_p95_ms']} ms from Send, "
        f"{cost['frames_lost']} frames lost; server CPU {cost['server_cpu_pct']}% of its core, "
        f"{cost['server_cpu_ms_per_post']} ms per post (fan-out included: event loop "
        f"{cost['loop_cpu_ms_per_post']}, post handling {cost['handling_cpu_ms_per_post']}); "
        f"core 0 reference loop {result['core_reference_ms']} ms CPU"
    )
    out = args.json or ROOT / "var" / "bench" / f"burst-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"figures: {out}")
    delivered = cost["frames_lost"] == 0
    return 0 if len(answered) == args.posters and delivered else 1


if __name__ == "__main__":
    sys.exit(main())

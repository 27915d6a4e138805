"""`python -m bench.burst --posters 200`: that many phones press Send at the same moment (the
labber says "now write your suggestion"); the answer time of each post, p50/p95/max. Over HTTP
(the post request) by default; `--post-over socket` as the page posts while its socket is open.

One daphne process as `make serve` runs it, on core 0; the posters' threads on core 1."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from bench.clients import POST_OVER, AppClient, thought
from bench.load import percentile
from bench.servers import ROOT, Sampler, app_server, pin_generator


async def burst(client: AppClient, posters: int, sampler: Sampler) -> tuple[list[float], dict]:
    try:
        return await _burst(client, posters, sampler)
    finally:
        await client.close()  # in this loop: the posters' sockets belong to it


async def _burst(client: AppClient, posters: int, sampler: Sampler) -> tuple[list[float], dict]:
    await client.open_posters(posters)
    answered: list[float] = []
    cpu, wall = sampler.cpu_seconds(), time.monotonic()

    async def one(i: int) -> None:
        started = time.monotonic()
        if await client.post(i, thought(i, "burst")):
            answered.append(time.monotonic() - started)

    await asyncio.gather(*(one(i) for i in range(posters)))
    # Whether the burst is bound by the server's CPU (its share near 100%) or by waiting.
    wall = time.monotonic() - wall
    cpu = sampler.cpu_seconds() - cpu
    cost = {
        "burst_s": round(wall, 2),
        "server_cpu_s": round(cpu, 2),
        "server_cpu_pct": round(100 * cpu / wall, 1),
        "server_cpu_ms_per_post": round(1000 * cpu / posters, 1),
    }
    return sorted(answered), cost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.burst", description=__doc__)
    parser.add_argument("--posters", type=int, default=200)
    parser.add_argument("--post-over", choices=POST_OVER, default="http")
    parser.add_argument("--json", type=Path)
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
            answered, cost = asyncio.run(burst(client, args.posters, sampler))
        finally:
            sampler.stop()
    ms = {q: round(1000 * (percentile(answered, q) or 0), 1) for q in (50, 95, 100)}
    result = {
        "posters": args.posters,
        "post_over": args.post_over,
        "english": args.english,
        "accepted": len(answered),
        "failures": dict(client.failures),
        "post_p50_ms": ms[50],
        "post_p95_ms": ms[95],
        "post_max_ms": ms[100],
        "server_rss_peak_mb": sampler.summary(0, float("inf"))["server_rss_peak_mb"],
        **cost,
    }
    print(
        f"burst: {args.posters} posters at once over {args.post_over}: {len(answered)} accepted; "
        "post answer "
        f"p50 {ms[50]} ms, p95 {ms[95]} ms, max {ms[100]} ms; all answered in {cost['burst_s']} s, "
        f"server CPU {cost['server_cpu_pct']}% of its core, {cost['server_cpu_ms_per_post']} ms "
        "per post"
    )
    out = args.json or ROOT / "var" / "bench" / f"burst-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"figures: {out}")
    return 0 if len(answered) == args.posters else 1


if __name__ == "__main__":
    sys.exit(main())

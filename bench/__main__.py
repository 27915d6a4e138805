"""`python -m bench` (`make bench`): run the live room under load for each phone count, print
a table and write the figures as JSON to var/bench/<timestamp>.json.

    python -m bench --phones 1000,2000 --seconds 60 --with-raw   # the acceptance runs
    python -m bench --processes 2 --phones 2000                  # scale-out: PG + Redis
    python -m bench --soak 600 --phones 1000                     # reconnects, memory, losses
    python -m bench --phones 500 --resume-flood 10               # one session's 10 sockets
                                                                 # send resume in a loop
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.clients import POST_OVER
from bench.load import GENERATOR_LIMIT_PCT, Config, measure
from bench.servers import ROOT, ServerFailed, core_reference_ms, pin_generator, services
from labbet.services import ServiceUnavailable

TARGET_PHONES, TARGET_P95_MS = 1000, 250.0
# The join storm's target: TARGET_PHONES sockets opened at once are all open within this.
TARGET_STORM_S = 10.0
# The soak's target: the server's memory grows less than this from the soak's start to end.
TARGET_RSS_GROWTH_PCT = 10.0
SOAK_PHONES = 1000

ROWS: list[tuple[str, str]] = [
    ("posters (phones posting)", "{posters} over {post_over}"),
    ("page loads", "{page_loads} in {page_load_seconds} s"),
    ("socket storm", "{storm_sockets} in {storm_seconds} s, refused {storm_refused}"),
    ("sockets connected / refused", "{sockets_connected} / {sockets_refused}"),
    ("sockets dropped", "{sockets_dropped}"),
    ("posts accepted / sent", "{posts_accepted} / {posts_sent}"),
    ("frames delivered / expected", "{frames_delivered} / {frames_expected}"),
    ("reach overall %", "{reach_pct}"),
    ("reach worst client %", "{worst_client_pct}"),
    ("duplicates", "{duplicates}"),
    ("out of order / cursor gaps", "{out_of_order} / {cursor_gaps}"),
    ("delivery p50 / p95 ms", "{latency_p50_ms} / {latency_p95_ms}"),
    ("delivery p99 / max ms", "{latency_p99_ms} / {latency_max_ms}"),
    ("post answer p50 / p95 ms", "{post_p50_ms} / {post_p95_ms}"),
    ("delivered frames/s", "{frames_per_s}"),
    ("server CPU % mean / peak", "{server_cpu_pct} / {server_cpu_peak_pct}"),
    ("server CPU s / µs per frame", "{server_cpu_s} / {server_us_per_frame}"),
    ("server CPU ms per post (fan-out incl.)", "{server_cpu_ms_per_post}"),
    ("  event loop / post handling ms", "{loop_cpu_ms_per_post} / {handling_cpu_ms_per_post}"),
    ("PostgreSQL+Redis CPU s / %", "{services_cpu_s} / {services_cpu_pct}"),
    ("server peak RSS MB", "{server_rss_peak_mb}"),
    ("capacity warnings in log", "{capacity_warnings}"),
    ("generator CPU %", "{generator_cpu_pct}"),
    ("others' CPU % on core 0 / 1", "{others_cpu_pct[0]} / {others_cpu_pct[1]}"),
    ("core 0 reference loop CPU ms", "{core_reference_ms}"),
    ("verdict", "{verdict}"),
]


def verdict(run: dict[str, Any]) -> str:
    """OK: everything reached every socket once, in order, p95 within the target."""
    if not run["valid"]:
        return f"INVALID (generator > {GENERATOR_LIMIT_PCT:.0f}%)"
    noisy = " (NOISY: other load)" if run["noisy"] else ""
    p95 = run["latency_p95_ms"]
    ok = (
        run["posts_accepted"] == run["posts_sent"]
        and run["reach_pct"] == 100
        and run["sockets_refused"] == 0
        and run["duplicates"] == 0
        and run["out_of_order"] == 0
        and p95 is not None
        and p95 <= TARGET_P95_MS
    )
    return ("OK" if ok else "FAIL") + noisy


def head(run: dict[str, Any]) -> str:
    """A run's column: "app 1000 phones", "app×2 2000 phones", "raw 1000 phones"."""
    mode = run["mode"] + (f"×{run['processes']}" if run.get("processes", 1) > 1 else "")
    return f"{mode} {run['phones']} phones" + (" soak" if "soak" in run else "")


def table(runs: list[dict[str, Any]]) -> str:
    heads = [head(r) for r in runs]
    cells = [[fmt.format(**r) for r in runs] for _, fmt in ROWS]
    width = max(len(label) for label, _ in ROWS)
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(heads)]
    lines = ["".ljust(width) + "".join(f"  {h:>{w}}" for h, w in zip(heads, widths, strict=True))]
    for (label, _), row in zip(ROWS, cells, strict=True):
        lines.append(
            label.ljust(width) + "".join(f"  {c:>{w}}" for c, w in zip(row, widths, strict=True))
        )
    return "\n".join(lines)


def target_lines(runs: list[dict[str, Any]]) -> list[str]:
    """The issue's targets at TARGET_PHONES: delivery (per process count) and the storm."""
    at = [r for r in runs if r["mode"] == "app" and r["phones"] == TARGET_PHONES]
    if not at:
        return [f"target ({TARGET_PHONES:,} phones): not run"]
    lines = []
    for processes in sorted({r.get("processes", 1) for r in at}):
        these = [r for r in at if r.get("processes", 1) == processes]
        met = all(r["verdict"].startswith("OK") for r in these)
        where = "one daphne process" if processes == 1 else f"{processes} daphne processes"
        lines.append(
            f"target ({TARGET_PHONES:,} phones, 100% delivered, p95 ≤ {TARGET_P95_MS:.0f} ms, "
            f"{where}): {'MET' if met else 'NOT MET'}"
        )
    storm = all(storm_met(r) for r in at)
    lines.append(
        f"join storm target ({TARGET_PHONES:,} sockets at once, all open within "
        f"{TARGET_STORM_S:.0f} s, none refused): {'MET' if storm else 'NOT MET'}"
    )
    return lines


def storm_met(run: dict[str, Any]) -> bool:
    return (
        run["storm_refused"] == 0
        and run["page_loads_refused"] == 0
        and run["storm_seconds"] <= TARGET_STORM_S
    )


def p95_met(run: dict[str, Any]) -> bool:
    p95 = run["latency_p95_ms"]
    return p95 is not None and p95 <= TARGET_P95_MS


def compare(app: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """The app against the raw broadcast server at the same phones and posts/s: delivered
    frames/s app ÷ raw (1.0: the app kept up as well as the ceiling did), and the server CPU
    per delivered frame, app ÷ raw (how many times the raw server's cost the app pays). The
    app's CPU includes its own PostgreSQL and Redis in a scale-out run."""

    def per_frame(run: dict[str, Any]) -> float | None:
        cpu = run["server_cpu_s"] + run.get("services_cpu_s", 0.0)
        delivered = run["frames_delivered"]
        return round(cpu / delivered * 1e6, 1) if delivered else None

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 2) if a is not None and b else None

    app_us, raw_us = per_frame(app), per_frame(raw)
    return {
        "phones": app["phones"],
        "rate": app["rate"],
        "processes": app.get("processes", 1),
        "app_frames_per_s": app["frames_per_s"],
        "raw_frames_per_s": raw["frames_per_s"],
        "frames_per_s_ratio": ratio(app["frames_per_s"], raw["frames_per_s"]),
        "app_us_per_frame": app_us,
        "raw_us_per_frame": raw_us,
        "us_per_frame_ratio": ratio(app_us, raw_us),
        "app_p95_ms": app["latency_p95_ms"],
        "raw_p95_ms": raw["latency_p95_ms"],
        "app_p95_met": p95_met(app),
        "raw_p95_met": p95_met(raw),
    }


def comparison_lines(c: dict[str, Any]) -> list[str]:
    def met(ok: bool, p95: float | None) -> str:
        return f"{'yes' if ok else 'NO'} ({p95} ms)"

    mode = "app" + (f"×{c['processes']}" if c["processes"] > 1 else "")
    return [
        f"{mode} vs raw, {c['phones']} phones at {c['rate']:g} posts/s:",
        f"  delivered frames/s  {c['app_frames_per_s']} / {c['raw_frames_per_s']} "
        f"= {c['frames_per_s_ratio']} of raw",
        f"  server CPU µs/frame {c['app_us_per_frame']} / {c['raw_us_per_frame']} "
        f"= {c['us_per_frame_ratio']}× raw",
        f"  p95 ≤ {TARGET_P95_MS:.0f} ms: app {met(c['app_p95_met'], c['app_p95_ms'])}, "
        f"raw {met(c['raw_p95_met'], c['raw_p95_ms'])}",
    ]


def soak_verdict(run: dict[str, Any]) -> str:
    """OK: memory held, nothing lost, nothing twice or out of order, no capacity warnings."""
    soak = run["soak"]
    growth = soak["rss_growth_pct"]
    ok = (
        growth is not None
        and growth < TARGET_RSS_GROWTH_PCT
        and soak["frames_lost"] == 0
        and soak["reconnect_failures"] == 0
        and run["posts_accepted"] == run["posts_sent"]
        and run["duplicates"] == 0
        and run["out_of_order"] == 0
        and run["sockets_refused"] == 0
        and run["capacity_warnings"] == 0
    )
    if not run["valid"]:
        return f"INVALID (generator > {GENERATOR_LIMIT_PCT:.0f}%)"
    return ("OK" if ok else "FAIL") + (" (NOISY: other load)" if run["noisy"] else "")


def soak_summary(run: dict[str, Any]) -> str:
    soak = run["soak"]
    rounds = len(soak["rounds"])
    return "\n".join(
        [
            f"soak ({head(run)}, {run['rate']:g} posts/s for {soak['seconds']:g} s, "
            f"{soak['churn_fraction']:.0%} of the phones reconnecting every "
            f"{soak['churn_every_s']:g} s; reconnect rounds: {rounds}):",
            f"  server RSS {soak['rss_start_mb']} MB at the start, {soak['rss_end_mb']} MB at "
            f"the end: {soak['rss_growth_pct']:+}% (target < {TARGET_RSS_GROWTH_PCT:.0f}%)",
            f"  frames lost {soak['frames_lost']} (sockets lacking some: "
            f"{soak['sockets_lacking']}), duplicates {run['duplicates']}, out of order "
            f"{run['out_of_order']}, cursor gaps {run['cursor_gaps']}",
            f"  reconnects {soak['reconnects']} (failed {soak['reconnect_failures']}), "
            f"fresh regions instead of a replay {soak['refreshes']}",
            f"  posts accepted {run['posts_accepted']} / {run['posts_sent']}, delivery p95 "
            f"{run['latency_p95_ms']} ms",
            f"  capacity warnings in the server log: {run['capacity_warnings']}",
            f"  soak verdict: {run['soak_verdict']}",
        ]
    )


def app_version(app_dir: Path) -> dict[str, Any]:
    """Which code was measured: the commit, and whether the tree had uncommitted changes."""

    def git(*args: str) -> str | None:
        try:
            result = subprocess.run(
                ["git", "--no-optional-locks", *args],
                cwd=app_dir,
                capture_output=True,
                text=True,
                timeout=30,
            )
        except OSError:
            return None
        return result.stdout.strip() if result.returncode == 0 else None

    status = git("status", "--porcelain", "--untracked-files=no")
    return {"dir": str(app_dir), "commit": git("rev-parse", "HEAD"), "dirty": bool(status)}


def phone_counts(text: str) -> list[int]:
    counts = [int(n) for n in text.split(",") if n.strip()]
    if not counts or any(n < 1 for n in counts):
        raise argparse.ArgumentTypeError("a comma-separated list of phone counts above 0")
    return counts


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]),
    )
    parser.add_argument(
        "--phones",
        type=phone_counts,
        help="phone sockets per run; a list runs each in turn on a fresh server "
        f"(default 500,1000,2000; {SOAK_PHONES} with --soak)",
    )
    parser.add_argument("--rate", type=float, default=10.0, help="posts per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to post")
    parser.add_argument(
        "--posters",
        type=int,
        default=0,
        help="poster phones, round-robin: at least this many, and as many as keep each under "
        "the app's posting limit (5 per 30 s: ceil(rate × 30 / 4))",
    )
    parser.add_argument(
        "--post-over",
        choices=POST_OVER,
        default="socket",
        help="how the posters post: over their open socket, as the phone's page does "
        "(default), or over HTTP, the page's path while its socket is down",
    )
    parser.add_argument("--json", type=Path, help="where to write the figures")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="daphne processes, all on core 0 (more than 1: scale-out, PostgreSQL + Redis)",
    )
    parser.add_argument(
        "--services-core",
        type=int,
        choices=(0, 1),
        default=0,
        help="the core of the PostgreSQL and Redis a scale-out run starts: 0, with daphne "
        "(everything server-side on one core), or 1, with the load generator (as a database "
        "on its own machine would be)",
    )
    parser.add_argument(
        "--redis",
        action="store_true",
        help="scale-out even with one process: PostgreSQL and the Redis channel layer",
    )
    parser.add_argument(
        "--database-url", help="a PostgreSQL server to use (a fresh database each run)"
    )
    parser.add_argument(
        "--redis-url", help="a Redis server to use (implies --redis; else one is started)"
    )
    parser.add_argument("--raw", action="store_true", help="load bench/raw_server.py instead")
    parser.add_argument(
        "--with-raw",
        action="store_true",
        help="after each app run, the same phones and rate on bench/raw_server.py, compared",
    )
    parser.add_argument(
        "--soak",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="post for SECONDS while 10%% of the phones reconnect every 30 s; check memory "
        "growth, lost frames and capacity warnings",
    )
    parser.add_argument(
        "--english",
        type=float,
        default=0.2,
        help="share of the phones that read English in the Swedish demo workshop (default "
        "0.2): their pages and sockets ask for English, so every event is rendered in both",
    )
    parser.add_argument(
        "--resume-flood",
        type=int,
        default=0,
        metavar="SOCKETS",
        help="an attacker's session opens SOCKETS sockets that send resume from cursor 0 "
        "every 10 ms while the room posts; the room's delivery is measured as ever",
    )
    parser.add_argument(
        "--app-dir",
        type=Path,
        default=ROOT,
        help="the checkout to serve (default: this one; e.g. `git archive HEAD | tar -xC DIR`)",
    )
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("--processes must be 1 or more")
    if args.raw and (args.processes > 1 or args.redis or args.redis_url or args.soak):
        parser.error("--raw runs the raw server alone: no --processes, --redis or --soak")
    if args.raw and args.with_raw:
        parser.error("--raw and --with-raw: choose one")
    if args.soak < 0:
        parser.error("--soak takes a number of seconds")
    if args.phones is None:
        args.phones = [SOAK_PHONES] if args.soak else [500, 1000, 2000]
    args.scale_out = not args.raw and (args.processes > 1 or args.redis or bool(args.redis_url))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so the servers' `finally` stops them.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    pin_generator()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # thousands of sockets
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.json or ROOT / "var" / "bench" / f"{stamp}.json"
    report: dict[str, Any] = {
        "started": stamp,
        "argv": sys.argv[1:] if argv is None else argv,
        "app": app_version(args.app_dir.resolve()),
        "host": {
            "cpus": os.cpu_count(),
            "load": os.getloadavg(),
            "python": platform.python_version(),
        },
        "runs": [],
        "comparisons": [],
    }

    def save() -> None:  # after each run: a crash keeps the rest
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2))

    mode = "raw" if args.raw else "app"
    if args.processes > 1:
        mode += f"×{args.processes}"
    try:
        # Scale-out: PostgreSQL and Redis, started here (on core 0 with daphne unless
        # --services-core 1) unless given.
        with services(
            args.scale_out,
            args.scale_out,
            args.database_url,
            args.redis_url,
            core=args.services_core,
        ) as found:
            if args.scale_out:
                print(f"bench: scale-out on {found.database_url} and {found.redis_url}")
            for phones in args.phones:
                # A soak posts for its own length: the posters are counted for that.
                seconds = args.soak or args.seconds
                config = Config(
                    phones,
                    args.rate,
                    seconds,
                    args.posters,
                    post_over=args.post_over,
                    resume_flood=args.resume_flood,
                    english=args.english,
                )
                print(
                    f"bench: {mode}, {phones} phones, {args.rate:g} posts/s for {seconds:g} s"
                    f"{' (soak)' if args.soak else ''} …",
                    flush=True,
                )
                run = measure(
                    config,
                    args.raw,
                    found.database_url,
                    args.app_dir.resolve(),
                    processes=args.processes,
                    redis_url=found.redis_url,
                    soak=args.soak,
                    services=found.pids if found.roots else None,
                    services_core=found.core,
                )
                run["verdict"] = verdict(run)
                run["core_reference_ms"] = core_reference_ms()
                if "resume_flood" in run:
                    print(f"bench: resume flood: {run['resume_flood']}", flush=True)
                if args.soak:
                    run["soak_verdict"] = soak_verdict(run)
                    print(soak_summary(run), flush=True)
                report["runs"].append(run)
                save()
                if args.with_raw:
                    print(f"bench: raw, {phones} phones, same load …", flush=True)
                    # Frames as long as the app's of this run: the same bytes per socket.
                    raw = measure(config, raw=True, frame_chars=run.get("frame_chars_mean"))
                    raw["verdict"] = verdict(raw)
                    raw["core_reference_ms"] = core_reference_ms()
                    report["runs"].append(raw)
                    report["comparisons"].append(compare(run, raw))
                    save()
    except ServerFailed as exc:
        print(f"bench: the server failed: {exc}", file=sys.stderr)
        return 2
    except (ServiceUnavailable, subprocess.SubprocessError, TimeoutError) as exc:
        print(f"bench: PostgreSQL or Redis could not be started: {exc}", file=sys.stderr)
        return 2
    print()
    print(table(report["runs"]))
    for line in target_lines(report["runs"]):
        print(line)
    for comparison in report["comparisons"]:
        print("\n".join(comparison_lines(comparison)))
    for run in report["runs"]:
        if "soak" in run:
            print(soak_summary(run))
    print(f"figures: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

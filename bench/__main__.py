"""`python -m bench` (`make bench`): run the live room under load for each phone count, print
a table and write the figures as JSON to var/bench/<timestamp>.json."""

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

from bench.load import GENERATOR_LIMIT_PCT, Config, measure
from bench.servers import ROOT, ServerFailed, pin_generator

TARGET_PHONES, TARGET_P95_MS = 1000, 250.0

ROWS: list[tuple[str, str]] = [
    ("sockets connected / refused", "{sockets_connected} / {sockets_refused}"),
    ("time to connect all (s)", "{connect_seconds}"),
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
    ("server peak RSS MB", "{server_rss_peak_mb}"),
    ("generator CPU %", "{generator_cpu_pct}"),
    ("others' CPU % on core 0 / 1", "{others_cpu_pct[0]} / {others_cpu_pct[1]}"),
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


def table(runs: list[dict[str, Any]]) -> str:
    heads = [f"{r['mode']} {r['phones']} phones" for r in runs]
    cells = [[fmt.format(**r) for r in runs] for _, fmt in ROWS]
    width = max(len(label) for label, _ in ROWS)
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(heads)]
    lines = ["".ljust(width) + "".join(f"  {h:>{w}}" for h, w in zip(heads, widths, strict=True))]
    for (label, _), row in zip(ROWS, cells, strict=True):
        lines.append(
            label.ljust(width) + "".join(f"  {c:>{w}}" for c, w in zip(row, widths, strict=True))
        )
    return "\n".join(lines)


def target_line(runs: list[dict[str, Any]]) -> str:
    at = [r for r in runs if r["mode"] == "app" and r["phones"] == TARGET_PHONES]
    if not at:
        return f"target ({TARGET_PHONES:,} phones): not run"
    met = all(r["verdict"].startswith("OK") for r in at)
    return (
        f"target ({TARGET_PHONES:,} phones, 100% delivered, p95 ≤ {TARGET_P95_MS:.0f} ms, "
        f"one daphne process): {'MET' if met else 'NOT MET'}"
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


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--phones",
        default="500,1000,2000",
        type=lambda s: [int(n) for n in s.split(",") if n.strip()],
        help="phone sockets per run; a list runs each in turn on a fresh server",
    )
    parser.add_argument("--rate", type=float, default=10.0, help="posts per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to post")
    parser.add_argument("--posters", type=int, default=20, help="poster sessions, round-robin")
    parser.add_argument("--json", type=Path, help="where to write the figures")
    parser.add_argument("--database-url", help="a PostgreSQL server to use (a fresh database)")
    parser.add_argument("--raw", action="store_true", help="load bench/raw_server.py instead")
    parser.add_argument(
        "--app-dir",
        type=Path,
        default=ROOT,
        help="the checkout to serve (default: this one; e.g. `git archive HEAD | tar -xC DIR`)",
    )
    return parser.parse_args(argv)


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
    }
    for phones in args.phones:
        config = Config(phones, args.rate, args.seconds, args.posters)
        mode = "raw" if args.raw else "app"
        print(
            f"bench: {mode}, {phones} phones, {args.rate:g} posts/s for {args.seconds:g} s …",
            flush=True,
        )
        try:
            run = measure(config, args.raw, args.database_url, args.app_dir.resolve())
        except ServerFailed as exc:
            print(f"bench: the server failed: {exc}", file=sys.stderr)
            return 2
        run["verdict"] = verdict(run)
        report["runs"].append(run)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2))  # after each run: a crash keeps the rest
    print()
    print(table(report["runs"]))
    print(target_line(report["runs"]))
    print(f"figures: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

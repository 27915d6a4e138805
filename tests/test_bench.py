"""Smoke test of `make bench`: a tiny live room on a real daphne gets every post, once, in order."""

from __future__ import annotations

import os

import pytest

from tests.conftest import require_or_skip


@pytest.mark.slow
def test_bench_delivers_every_post_once_and_in_order() -> None:
    try:
        from bench.load import Config, measure
        from bench.servers import BIN, ServerFailed
    except ImportError as exc:
        require_or_skip(f"the bench needs the dev extra ({exc}); pip install -e '.[dev]'")
    if not (BIN / "daphne").exists():
        require_or_skip(f"daphne is not installed in {BIN}")
    # On the suite's PostgreSQL when the suite runs there (a fresh database), else SQLite.
    url = os.environ.get("DATABASE_URL", "")
    database_url = url if url.startswith(("postgres://", "postgresql://")) else None
    try:
        run = measure(Config(phones=20, rate=4, seconds=3), database_url=database_url)
    except ServerFailed as exc:
        require_or_skip(f"the bench could not start the app: {exc}")

    assert run["sockets_connected"] == 21, run["refused_reasons"]
    assert run["posts_accepted"] == run["posts_sent"] == 12, run["post_failures"]
    assert run["frames_delivered"] == run["frames_expected"] == 21 * 12
    assert run["worst_client_pct"] == 100
    assert run["duplicates"] == 0
    assert run["out_of_order"] == 0
    assert run["sockets_dropped"] == 0

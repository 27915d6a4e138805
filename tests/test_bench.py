"""The bench (`make bench`): its arguments, its bookkeeping with fake sockets (reconnects,
replays, losses), its figures; and a smoke run of a tiny live room on a real daphne."""

from __future__ import annotations

import asyncio
import os
import random

import pytest

from tests.conftest import require_or_skip

bench_main = pytest.importorskip("bench.__main__", reason="the bench needs the dev extra")
from bench import load  # noqa: E402
from bench.clients import Endpoint  # noqa: E402

URL = "ws://127.0.0.1:1/ws/w/STAD26/?view=phone&cursor=12"


def phone(name: str = "phone-0") -> load.Socket:
    return load.Socket(name, Endpoint(URL, "http://127.0.0.1:1", {}))


def card(seq: int, post: int | None = None, refresh: bool = False) -> str:
    body = f'<article class="card"><p>bench-{post} a thought</p></article>'
    body = body if post is not None else "<p/>"
    return f"<!--c:{seq}{' r' if refresh else ''}-->{body}"


# --- Arguments ---


def test_defaults_are_one_process_on_sqlite() -> None:
    args = bench_main.parse_args([])
    assert args.phones == [500, 1000, 2000]
    assert args.processes == 1 and not args.scale_out
    assert not args.with_raw and args.soak == 0 and args.posters == 0
    assert args.post_over == "socket"  # as the phone's page posts while its socket is open


def test_several_processes_or_redis_mean_scale_out() -> None:
    assert bench_main.parse_args(["--processes", "2"]).scale_out
    assert bench_main.parse_args(["--redis"]).scale_out
    assert bench_main.parse_args(["--redis-url", "redis://127.0.0.1:1/0"]).scale_out
    assert not bench_main.parse_args(["--database-url", "postgres://x@127.0.0.1/x"]).scale_out


def test_acceptance_and_soak_arguments() -> None:
    args = bench_main.parse_args(["--phones", "1000,2000", "--seconds", "60", "--with-raw"])
    assert args.phones == [1000, 2000] and args.seconds == 60 and args.with_raw
    soak = bench_main.parse_args(["--soak", "600"])
    assert soak.soak == 600 and soak.phones == [1000]
    assert bench_main.parse_args(["--soak", "40", "--phones", "100"]).phones == [100]


@pytest.mark.parametrize(
    "argv",
    [
        ["--raw", "--processes", "2"],
        ["--raw", "--soak", "60"],
        ["--raw", "--with-raw"],
        ["--processes", "0"],
        ["--phones", "0"],
        ["--phones", "many"],
    ],
)
def test_contradictions_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        bench_main.parse_args(argv)


# --- Posters under the posting limit ---


def test_posters_keep_each_phone_under_the_posting_limit() -> None:
    five_per_30 = (5, 30)
    assert load.posters_needed(10, 60, 0, five_per_30) == 75  # ceil(10 × 30 / 4)
    assert load.posters_needed(10, 600, 20, five_per_30) == 75
    assert load.posters_needed(10, 60, 100, five_per_30) == 100  # more given: kept
    assert load.posters_needed(3, 60, 0, five_per_30) == 23
    # A short run cannot post that often: each phone posts at most 4 in all.
    assert load.posters_needed(4, 3, 0, five_per_30) == 3
    # Limit off: the given number, or 20.
    assert load.posters_needed(10, 60, 0, ()) == 20
    assert load.posters_needed(10, 60, 7, ()) == 7


@pytest.mark.parametrize("rate", [1, 2.5, 10, 17, 40])
def test_round_robin_never_puts_five_posts_of_one_phone_in_30_seconds(rate: float) -> None:
    posters = load.posters_needed(rate, 120, 0, (5, 30))
    # Post i goes out at i / rate from phone i % posters: the same phone every posters/rate s.
    times = [i / rate for i in range(0, round(rate * 120), posters)]
    assert all(later - earlier >= 30 for earlier, later in zip(times, times[4:], strict=False))


def test_posting_limit_is_read_as_the_app_reads_it() -> None:
    assert load.post_limit({}) == (5, 30)
    assert load.post_limit({"LABBET_RATE_POST": "10/60"}) == (10, 60)
    assert load.post_limit({"LABBET_RATE_POST": "off"}) is None


# --- Bookkeeping across reconnects, with fake sockets ---


def test_a_socket_counts_arrivals_duplicates_order_and_gaps_across_a_reconnect() -> None:
    room, sock = load.Room(), phone()
    on_text = room.receiver(sock)
    for seq, post in [(13, 0), (14, 1), (15, None)]:
        on_text(card(seq, post))
    assert sock.resume_url().endswith("cursor=15")
    # Reconnected with cursor 15: the replay starts at 16; then live frames go on.
    for seq, post in [(16, 2), (17, 3), (17, 3), (19, 4), (18, 5)]:
        on_text(card(seq, post))
    assert sorted(sock.arrivals) == [0, 1, 2, 3, 4, 5]
    assert room.delivered == 6
    assert sock.duplicates == 1  # post 3 twice
    assert sock.out_of_order == 2  # 17 again, then 18 after 19
    assert sock.gaps == 1  # 17 → 19
    assert sock.last_seq == 19


def test_a_fresh_region_covers_every_post_on_it_without_duplicates() -> None:
    room, sock = load.Room(), phone()
    on_text = room.receiver(sock)
    on_text(card(13, 0))
    wall = "<!--c:40 r-->" + "".join(f"<p>bench-{i} x</p>" for i in (3, 2, 1, 0))
    on_text(wall)
    on_text(card(41, 4))
    assert sorted(sock.arrivals) == [0, 1, 2, 3, 4]
    assert sock.duplicates == 0 and sock.out_of_order == 0 and sock.gaps == 0
    assert sock.refreshes == 1 and sock.last_seq == 41


def test_a_socket_that_never_saw_a_frame_resumes_with_its_page_cursor() -> None:
    assert phone().resume_url() == URL


def test_frames_lost_are_the_accepted_posts_a_socket_lacks() -> None:
    a, b, c = phone("phone-0"), phone("phone-1"), load.Socket("projector")
    a.arrivals = {0: 1.0, 1: 1.0, 2: 1.0}
    b.arrivals = {0: 1.0, 2: 1.0, 9: 1.0}  # 9 was not accepted: not counted either way
    c.arrivals = {}
    lost = load.lost_frames([a, b, c], accepted=[0, 1, 2])
    assert lost["frames_lost"] == 1 + 3
    assert lost["sockets_lacking"] == 2
    assert lost["lost_examples"] == {"phone-1": [1], "projector": [0, 1, 2]}


def test_churn_picks_a_tenth_of_the_phones_never_the_projector() -> None:
    sockets = [load.Socket("projector"), *(phone(f"phone-{i}") for i in range(100))]
    sockets[5].dropped = True
    picked = load.churn_pick(sockets, 0.10, random.Random(1))
    assert len(picked) == 10  # round(0.1 × 99 live phones)
    assert all(s.name != "projector" and not s.dropped for s in picked)
    assert len({s.name for s in picked}) == 10
    assert load.churn_pick(sockets[:3], 0.10, random.Random(1))  # at least one
    assert load.churn_pick([sockets[0]], 0.10, random.Random(1)) == []


class FakeListener:
    opened: list[str] = []
    refuse = False

    def __init__(self) -> None:
        self.closed = asyncio.get_running_loop().create_future()

    @classmethod
    async def open(cls, url, origin, headers, on_text):
        if cls.refuse:
            raise ConnectionRefusedError(url)
        cls.opened.append(url)
        return cls()

    async def close(self) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


async def test_a_reconnect_resumes_from_the_last_cursor_and_is_no_drop(monkeypatch) -> None:
    monkeypatch.setattr(load, "Listener", FakeListener)
    FakeListener.opened, FakeListener.refuse = [], False
    room, sock = load.Room(), phone()
    assert await room.storm([sock]) >= 0
    room.receiver(sock)(card(20, 1))
    assert await room.reconnect(sock)
    await asyncio.sleep(0)  # the old listener's done-callbacks
    assert FakeListener.opened == [URL, URL.replace("cursor=12", "cursor=20")]
    assert sock.reconnects == 1 and not sock.dropped
    # Losing the current socket is a drop; a refused reconnect is a drop and a failure.
    await sock.listener.close()
    await asyncio.sleep(0)
    assert sock.dropped
    FakeListener.refuse = True
    assert not await room.reconnect(phone("phone-1"))
    assert room.reconnect_failures == 1 and room.refused == {"reconnect: ConnectionRefusedError": 1}


async def test_the_storm_counts_refusals_apart_from_opens(monkeypatch) -> None:
    monkeypatch.setattr(load, "Listener", FakeListener)
    FakeListener.opened, FakeListener.refuse = [], True
    room = load.Room()
    await room.storm([phone(f"phone-{i}") for i in range(3)])
    assert room.storm_refused == 3 and room.sockets == []


# --- Figures ---


def run_figures(**changes) -> dict:
    run = {
        "mode": "app",
        "processes": 1,
        "phones": 1000,
        "rate": 10.0,
        "frames_per_s": 10010.0,
        "frames_delivered": 600_600,
        "server_cpu_s": 48.0,
        "services_cpu_s": 0.0,
        "latency_p95_ms": 180.0,
    }
    return {**run, **changes}


def test_app_against_raw_ratios() -> None:
    app = run_figures(processes=2, services_cpu_s=12.0, latency_p95_ms=300.0)
    raw = run_figures(mode="raw", frames_per_s=10010.0, server_cpu_s=6.0, latency_p95_ms=9.0)
    c = bench_main.compare(app, raw)
    assert c["frames_per_s_ratio"] == 1.0
    assert c["app_us_per_frame"] == 99.9  # (48 + 12) s / 600,600 frames: PG and Redis too
    assert c["raw_us_per_frame"] == 10.0
    assert c["us_per_frame_ratio"] == 9.99
    assert (c["app_p95_met"], c["raw_p95_met"]) == (False, True)
    slow = bench_main.compare(run_figures(frames_per_s=5005.0), raw)
    assert slow["frames_per_s_ratio"] == 0.5
    lines = "\n".join(bench_main.comparison_lines(c))
    assert "app×2 vs raw" in lines and "= 1.0 of raw" in lines and "9.99× raw" in lines


def test_the_machine_speed_reference_is_timed_on_the_servers_core() -> None:
    """Each run's CPU figures come with the reference loop's CPU on core 0, taken then: the
    same code costs a third more on a slow hour of this shared host."""
    from bench.servers import core_reference_ms

    first, second = core_reference_ms(), core_reference_ms()
    assert first is not None and second is not None
    assert 0 < first < 10_000 and 0 < second < 10_000
    assert "core 0 reference loop CPU ms" in dict(bench_main.ROWS)


def test_column_heads_name_the_processes() -> None:
    assert bench_main.head(run_figures(processes=2, phones=2000)) == "app×2 2000 phones"
    assert bench_main.head(run_figures()) == "app 1000 phones"
    assert bench_main.head(run_figures(mode="raw")) == "raw 1000 phones"


def soak_figures(**soak) -> dict:
    return run_figures(
        valid=True,
        noisy=False,
        posts_sent=600,
        posts_accepted=600,
        duplicates=0,
        out_of_order=0,
        sockets_refused=0,
        capacity_warnings=0,
        soak={"rss_growth_pct": 4.0, "frames_lost": 0, "reconnect_failures": 0, **soak},
    )


def test_soak_verdict() -> None:
    assert bench_main.soak_verdict(soak_figures()) == "OK"
    assert bench_main.soak_verdict(soak_figures(rss_growth_pct=10.0)) == "FAIL"
    assert bench_main.soak_verdict(soak_figures(frames_lost=1)) == "FAIL"
    assert bench_main.soak_verdict({**soak_figures(), "capacity_warnings": 2}) == "FAIL"
    assert bench_main.soak_verdict({**soak_figures(), "valid": False}).startswith("INVALID")
    assert load.rss_growth(100 * 2**20, 108 * 2**20)["rss_growth_pct"] == 8.0


def test_capacity_warnings_are_found_in_the_log() -> None:
    log = "started\nWARNING channel layer over capacity: dropped\nok\nChannelFull: capacity 100\n"
    assert load.capacity_warnings(log) == [
        "WARNING channel layer over capacity: dropped",
        "ChannelFull: capacity 100",
    ]


# --- A real, tiny run ---


@pytest.mark.slow
@pytest.mark.parametrize("over", ["socket", "http"])
def test_bench_delivers_every_post_once_and_in_order(over: str) -> None:
    from bench.servers import BIN, ServerFailed

    if not (BIN / "daphne").exists():
        require_or_skip(f"daphne is not installed in {BIN}")
    # On the suite's PostgreSQL when the suite runs there (a fresh database), else SQLite.
    url = os.environ.get("DATABASE_URL", "")
    database_url = url if url.startswith(("postgres://", "postgresql://")) else None
    try:
        config = load.Config(phones=20, rate=4, seconds=3, post_over=over)
        run = load.measure(config, database_url=database_url)
    except ServerFailed as exc:
        require_or_skip(f"the bench could not start the app: {exc}")

    assert run["page_loads"] == 20 and run["page_loads_refused"] == 0
    assert run["storm_sockets"] == run["sockets_connected"] == 21, run["refused_reasons"]
    assert run["posts_accepted"] == run["posts_sent"] == 12, run["post_failures"]
    assert run["frames_delivered"] == run["frames_expected"] == 21 * 12
    assert run["worst_client_pct"] == 100
    assert run["duplicates"] == 0
    assert run["out_of_order"] == 0
    assert run["sockets_dropped"] == 0
    assert run["capacity_warnings"] == 0
    assert run["processes"] == 1 and run["posters"] == 3
    assert run["post_over"] == over


@pytest.mark.parametrize("chunk", [1, 3, 7, 100, 1 << 20])
def test_the_listener_reads_every_text_frame_and_leaves_the_rest_to_websockets(chunk) -> None:
    """The generator's own frame cutter: however the reads split the stream, every text
    message arrives whole and in order, a ping is answered, fragments are joined."""
    from websockets.frames import Frame, Opcode
    from websockets.protocol import State
    from websockets.server import ServerProtocol

    from bench.sockets import BUFFER, Listener

    def server_frame(opcode: Opcode, data: bytes, fin: bool = True) -> bytes:
        return Frame(opcode, data, fin).serialize(mask=False)

    texts = ["<!--c:1-->a card", "ä" * 200, "x" * 70_000, "<!--c:2-->after a ping"]
    stream = b"".join(
        [
            server_frame(Opcode.TEXT, texts[0].encode()),
            server_frame(Opcode.TEXT, texts[1].encode()),  # a 2-byte length
            server_frame(Opcode.TEXT, texts[2].encode()),  # an 8-byte length
            server_frame(Opcode.PING, b"are you there"),
            server_frame(Opcode.TEXT, texts[3].encode()),
            server_frame(Opcode.TEXT, b"in two ", fin=False),
            server_frame(Opcode.CONT, b"parts"),
        ]
    )

    class Transport(asyncio.Transport):
        written: list[bytes] = []

        def write(self, data: bytes) -> None:
            self.written.append(data)

    def receive(listener: Listener, data: bytes) -> None:
        BUFFER[: len(data)] = data
        listener.buffer_updated(len(data))

    async def read() -> tuple[list[str], list[bytes]]:
        got: list[str] = []
        listener = Listener("ws://127.0.0.1:9/ws/", "http://127.0.0.1:9", {}, got.append)
        listener.connection_made(Transport())
        server = ServerProtocol()  # the opening handshake, answered as a server would
        server.receive_data(b"".join(Transport.written))
        server.send_response(server.accept(server.events_received()[0]))
        receive(listener, b"".join(server.data_to_send()))
        assert listener.ws.state is State.OPEN
        for start in range(0, len(stream), chunk):
            receive(listener, stream[start : start + chunk])
        return got, Transport.written

    got, written = asyncio.run(read())
    assert got == [*texts, "in two parts"]
    # A client masks its frames: the pong shows by its first byte (FIN, PONG) and its length.
    assert any(data[:2] == bytes([0x8A, 0x80 | len(b"are you there")]) for data in written)

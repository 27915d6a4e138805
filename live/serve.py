"""The server's entry point: `python -m live.serve <daphne's arguments>`.

Sets what belongs to the serving process and nowhere else, then runs daphne's own command
line (daphne.cli.CommandLineInterface, what the `daphne` script runs) with the same arguments.

The GIL's switch interval, 5 ms by default, is how long a thread that comes back from the
database waits while the event loop fans a frame out to a thousand sockets; a request makes
dozens of such calls. 2 ms here: at 0.5 ms a post's thread was handed the GIL back and forth
with the fan-out so often that it ran from cold caches. Measured with `python -m bench
--phones 1000 --seconds 40`, three interleaved pairs: post handling 6.33, 7.58, 6.9 ms at
0.5 ms against 6.47, 6.67, 6.5 at 2 ms, delivery p95 alike (26-31 ms), p99 33-60 against
40-45 ms; `python -m bench.burst --posters 200` over HTTP, answer p95 1.0-1.38 s against
1.15-1.25 s. LABBET_SWITCH_INTERVAL (seconds) overrides it. Set here, not on import of the
application, so that a command, a shell or a test process that imports labbet.asgi keeps
Python's default.

Once the reactor runs (the application imported), what the process has loaded is frozen out
of the garbage collector's full passes (gc.freeze): each pass otherwise walked some 360,000
objects, about 0.2 s during which no frame went out. Measured with `python -m bench --phones
1000`, interleaved: delivery p99 98-116 ms -> 48-50 ms, max 283-371 -> 167-171 ms, server CPU
per frame 24.8-25.1 -> 21.5-23.6 µs. LABBET_GC_FREEZE=0 leaves the collector as it is.

The collector's first threshold is 20,000 allocations, not 700. At 700, with 1,000 phones
and 10 posts/s, a young pass ran about every other post in its thread (0.4-0.5 ms each, from
cold caches), every tenth one walked the older objects too (1.1-1.4 ms), and about every 40 s
a full pass walked the sockets' objects, 143-178 ms with the GIL held and no frame going out.
At 10,000 a young pass took 5-8 ms and came some 15 times rarer (at 50,000: 52-69 ms, and
post handling no lower); at neither did a full pass come in 40 s.
Measured with `python -m bench --phones 1000 --seconds 40`, three interleaved rounds: post
handling 7.8, 7.32, 5.78 ms at 700 against 6.1, 6.37, 5.13 at 20,000 (10,000: 6.63, 5.6,
5.73); delivery max 203-245 ms against 48-80, p99 41-62 against 32-50; server CPU per frame
20.9-25.7 against 19.0-22.6 µs. LABBET_GC_THRESHOLD ("20000,10,10", the three of
gc.set_threshold) overrides it; empty leaves Python's."""

from __future__ import annotations

import gc
import sys

from django.core.exceptions import ImproperlyConfigured

from labbet.env import env_bool, env_float, env_ints


def freeze_what_is_loaded() -> None:
    """Everything the process has made before it serves (Django, the application, its modules
    and libraries: some 300,000 objects) is kept out of the garbage collector's full passes."""
    gc.collect()
    gc.freeze()


def main() -> None:
    sys.setswitchinterval(env_float("LABBET_SWITCH_INTERVAL", 0.002))
    threshold = env_ints("LABBET_GC_THRESHOLD", (20000, 10, 10))
    if len(threshold) > 3 or any(n < 0 for n in threshold):
        raise ImproperlyConfigured(
            f"LABBET_GC_THRESHOLD takes one to three whole numbers, none below 0; got {threshold}."
        )
    if threshold:
        gc.set_threshold(*threshold)
    from daphne.cli import CommandLineInterface
    from twisted.internet import reactor  # daphne's, installed by the import above

    if env_bool("LABBET_GC_FREEZE", True):
        # Once daphne has imported the application and before the first connection.
        reactor.callWhenRunning(freeze_what_is_loaded)
    sys.exit(CommandLineInterface.entrypoint())


if __name__ == "__main__":
    main()

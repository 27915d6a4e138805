"""The server's entry point: `python -m live.serve <daphne's arguments>`.

Sets what belongs to the serving process and nowhere else, then runs daphne's own command
line (daphne.cli.CommandLineInterface, what the `daphne` script runs) with the same arguments.

The GIL's switch interval, 5 ms by default, is how long a thread that comes back from the
database waits while the event loop fans a frame out to a thousand sockets; a request makes
dozens of such calls. Measured with `make bench`: see the issue notes. LABBET_SWITCH_INTERVAL
(seconds) overrides it. Set here, not on import of the application, so that a command, a
shell or a test process that imports labbet.asgi keeps Python's default."""

from __future__ import annotations

import os
import sys


def main() -> None:
    sys.setswitchinterval(float(os.environ.get("LABBET_SWITCH_INTERVAL", "0.0005")))
    from daphne.cli import CommandLineInterface

    sys.exit(CommandLineInterface.entrypoint())


if __name__ == "__main__":
    main()

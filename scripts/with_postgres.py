"""Run a command with DATABASE_URL pointing at a throwaway PostgreSQL server.

Usage: python scripts/with_postgres.py COMMAND [ARGS...]"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labbet.services import ServiceUnavailable, start_postgres


def main() -> int:
    try:
        server = start_postgres()
    except ServiceUnavailable as exc:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            print(f"FAILED: {exc} (REQUIRE_SERVICES=1)", file=sys.stderr)
            return 1
        print(f"Skipping the PostgreSQL run: {exc}", file=sys.stderr)
        return 0
    print(f"PostgreSQL for this run: {server.url}", flush=True)
    try:
        env = {**os.environ, "DATABASE_URL": server.url}
        return subprocess.call(sys.argv[1:], env=env)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())

"""Logs without secrets: invite tokens, the projector's key and password-reset tokens are cut
to their last four characters (`/i/…abcd/`) in daphne's access log and in every log record.

An invite link stays valid for months and a projector key for the workshop's life: a log file
is read by more people, and kept longer, than either should be. The last four characters are
enough to tell two links apart when reading a log.

daphne builds its access log (`--access-log`, or `-v 1`) from `daphne.cli.AccessLogGenerator`
after it has loaded the application: `install()` (called from labbet/asgi.py) puts the
redacting subclass in its place. That is the one use of daphne's command-line internals; if a
daphne release moves it, `tests/test_accesslog.py` fails by name and the fallback is to run
without daphne's access log (the reverse proxy's log, redacted there, serves instead)."""

from __future__ import annotations

import logging
import re
from typing import Any

from daphne.access import AccessLogGenerator

KEEP = 4
_PATTERNS = [
    # /i/<token>/ — personal invite links.
    re.compile(r"(/i/)([^/?#\s\"]+)"),
    # /accounts/reset/<uidb64>/<token>/ — Django's password-reset links.
    re.compile(r"(/accounts/reset/[^/?#\s\"]+/)([^/?#\s\"]+)"),
    # ?key=… — the projector's secret link (page and socket alike).
    re.compile(r"([?&]key=)([^&#\s\"]+)"),
]


def _cut(match: re.Match) -> str:
    secret = match.group(2)
    if secret in {"set-password"}:  # Django's own placeholder after it checks the token
        return match.group(0)
    return f"{match.group(1)}…{secret[-KEEP:]}" if len(secret) > KEEP else match.group(0)


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(_cut, text)
    return text


class RedactingAccessLog(AccessLogGenerator):
    """daphne's NCSA-style access log with the secrets in paths cut."""

    def __call__(self, protocol: str, action: str, details: dict[str, Any]) -> None:
        if isinstance(details.get("path"), str):
            details = {**details, "path": redact(details["path"])}
        super().__call__(protocol, action, details)


class RedactSecrets(logging.Filter):
    """For every handler: Django's "Not Found: /i/<token>/" and the like, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install() -> None:
    """Put the redacting access log where daphne's command line looks it up."""
    try:
        import daphne.cli
    except ImportError:  # not served by daphne
        return
    if hasattr(daphne.cli, "AccessLogGenerator"):
        daphne.cli.AccessLogGenerator = RedactingAccessLog

"""Join codes: six characters from an alphabet without look-alikes, read case-insensitively."""

from __future__ import annotations

import re
import secrets

# No 0/O, 1/I/L: a code read off a projector from row 14 must not be ambiguous.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 6
_STRIP = re.compile(r"[\s\-_.]+")


def normalise_code(raw: str) -> str:
    """What a person typed → the code as stored (upper case, no spaces or dashes)."""
    return _STRIP.sub("", raw or "").upper()


def is_well_formed(code: str) -> bool:
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


def random_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def new_token() -> str:
    """A long random token for invite and projector links (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)

"""The one exception an action raises when the state of the room refuses a move."""

from __future__ import annotations


class ActionRefused(Exception):
    """A clear, translated message for the person who tried; nothing was changed."""

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

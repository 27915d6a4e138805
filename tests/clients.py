"""A browser-like HTTP client for tests that talk to a real server process."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.parse
import urllib.request
import uuid


class Phone:
    """A phone in the room: a cookie jar, the join page, the form post."""

    def __init__(self, base: str, code: str = "STAD26") -> None:
        self.base, self.code = base, code
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.opener.open(f"{base}/j/{code}/", timeout=10).read().decode()
        self.cursor = int(re.search(r'data-cursor="(\d+)"', page).group(1))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def post(self, text: str, kind: str = "insight") -> int:
        return self.opener.open(self.post_request(text, kind), timeout=10).status

    def post_request(
        self, text: str, kind: str = "insight", key: str | None = None
    ) -> urllib.request.Request:
        """The phone's form post; `key` is the idempotency key (a resend reuses it)."""
        data = urllib.parse.urlencode(
            {
                "kind": kind,
                "text": text,
                "client_key": key or uuid.uuid4().hex,
                "csrfmiddlewaretoken": self.cookie("csrftoken"),
                # "Send anyway": these phones post numbered near-twins on purpose; the offer
                # of the card already on the wall has its own tests (test_post_offer.py).
                "anyway": "1",
            }
        ).encode()
        return urllib.request.Request(
            f"{self.base}/j/{self.code}/post/",
            data=data,
            headers={"HX-Request": "true", "Referer": f"{self.base}/j/{self.code}/"},
        )

    def ws_url(self) -> str:
        return self.base.replace("http://", "ws://") + f"/ws/w/{self.code}/?cursor={self.cursor}"

    def ws_headers(self) -> dict[str, str]:
        return {"Cookie": f"sessionid={self.cookie('sessionid')}", "Origin": self.base}


def health(base: str) -> dict:
    with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
        return json.load(response)

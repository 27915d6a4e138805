"""Middleware of Labbet's own."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class OneThreadPerRequest:
    """The innermost middleware, sync only: with it Django runs the whole chain and the view
    in one worker thread per request.

    Under daphne, Django serves requests asynchronously. Most middleware (sessions, CSRF,
    locale, messages, the CSP) are sync under the hood and WhiteNoise is sync only, so
    without this Django hops between the event loop and a thread a dozen times per request
    to adapt them; while the event loop is busy fanning a frame out to a thousand sockets,
    every hop waits for it. All of Labbet's views are sync."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

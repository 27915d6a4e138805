"""A view that tells which thread served it, and one that waits to be let go: what
tests/test_handlers.py asks of the ASGI handler's request threads."""

import threading

from django.http import HttpResponse
from django.urls import path

# Set by the test: the slow view waits on it (at most a few seconds).
LET_GO = threading.Event()
RUNNING: list[int] = []
RUNNING_LOCK = threading.Lock()
MOST_AT_ONCE = [0]


def which_thread(request):
    return HttpResponse(str(threading.get_ident()))


def slow(request):
    with RUNNING_LOCK:
        RUNNING.append(threading.get_ident())
        MOST_AT_ONCE[0] = max(MOST_AT_ONCE[0], len(RUNNING))
    try:
        LET_GO.wait(5)
    finally:
        with RUNNING_LOCK:
            RUNNING.remove(threading.get_ident())
    return HttpResponse(str(threading.get_ident()))


urlpatterns = [path("thread/", which_thread), path("slow/", slow)]

"""ASGI entry point: HTTP through Django, websockets through Channels (origin-checked)."""

import os
import sys
from pathlib import Path

import django
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labbet.settings")
EXAMPLE_ENV = Path(__file__).resolve().parent.parent / "deploy" / "env.example"


def weak_secret_key(key: str) -> None:
    """Refuse a key anyone could guess: short, or copied from the example environment file
    (sessions and invite-link signatures rest on it)."""
    if len(key) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY is shorter than 50 characters; make one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    example = EXAMPLE_ENV.read_text() if EXAMPLE_ENV.exists() else ""
    for line in example.splitlines():
        name, _, value = line.partition("=")
        if name.strip() == "SECRET_KEY" and value.strip() == key:
            raise ImproperlyConfigured(
                "SECRET_KEY is the one from deploy/env.example; make a key of your own."
            )


# The GIL's switch interval is set by the server's entry point (live/serve.py).
try:
    settings.INSTALLED_APPS  # noqa: B018 - read the environment now, to fail with its message
    try:
        settings.SECRET_KEY  # noqa: B018 - Django refuses an empty key on access
    except ImproperlyConfigured:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (for local use, DEBUG=1 generates one)."
        ) from None
    if not settings.DEBUG:
        weak_secret_key(settings.SECRET_KEY)
except ImproperlyConfigured as exc:
    sys.exit(f"Labbet cannot start: {exc}")
django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application does

from labbet.handlers import SyncChainASGIHandler  # noqa: E402

django_asgi_app = SyncChainASGIHandler()

from labbet import accesslog  # noqa: E402

accesslog.install()  # before daphne builds its access log (see the module)

from insights.duplicates import compare_in_background  # noqa: E402

compare_in_background()  # a post's answer never waits for the similar-posts comparison

from workshops.templatetags.screens import load_dictionaries  # noqa: E402

load_dictionaries()  # the projector's hyphenation, read now rather than in a post's render

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402

from labbet.routing import websocket_urlpatterns  # noqa: E402


class KeepServerSend:
    """Keeps the server's own `send` in the scope before the session middleware wraps it, so
    the live fan-out can write frames to the socket directly (live/wire.py: server_protocol)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        return await self.app({**scope, "labbet.server_send": send}, receive, send)


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": KeepServerSend(
            AllowedHostsOriginValidator(
                # Sessions, not AuthMiddlewareStack: most sockets are phones, which have no
                # user; the consumer reads the user only for the views that need one.
                SessionMiddlewareStack(URLRouter(websocket_urlpatterns))
            )
        ),
    }
)

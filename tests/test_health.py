"""/healthz answers for the database and the channel layer."""

import pytest
from django.db import OperationalError

from labbet.services import free_port

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_when_database_and_channel_layer_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "channel_layer": "ok",
        "sockets": 0,
    }
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_names_the_database_when_it_fails(client, monkeypatch):
    from django.db import connection

    def broken(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert set(body["failing"]) == {"database"}
    assert "could not connect" in body["failing"]["database"]


def test_healthz_names_the_channel_layer_when_redis_is_down(client, settings):
    from channels.layers import channel_layers

    port = free_port()  # nothing listens here
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{port}/0"]},
        }
    }
    channel_layers.backends.clear()
    try:
        response = client.get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    assert set(response.json()["failing"]) == {"channel_layer"}


def test_migrations_are_complete():
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_a_database_that_is_down_gets_a_503_that_says_try_again(rf):
    """Any request that meets a database that is down (or a pool with no free connection in
    time) gets the static page with 503 and Retry-After, not a bare 500."""
    from django.db import OperationalError

    from workshops.views.errors import server_error

    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = server_error(rf.get("/j/STAD26/post/"))
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "Please try again in a moment" in response.content.decode()
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(rf.get("/")).status_code == 500

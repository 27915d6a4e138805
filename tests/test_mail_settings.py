"""The mail server from the environment: EMAIL_URL, or EMAIL_HOST and its companions; a
malformed value stops startup with a message naming the variable."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from labbet.env import SMTP_BACKEND, email_config


def test_without_a_mail_server_emails_go_to_the_console():
    config = email_config({})
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert config["DEFAULT_FROM_EMAIL"] == "labbet@localhost"


def test_one_variable_names_the_whole_mail_server():
    config = email_config(
        {
            "EMAIL_URL": "smtp://labbet:s%40cret@mail.example.org:587/?tls=True",
            "DEFAULT_FROM_EMAIL": "labbet@example.org",
        }
    )
    assert config["EMAIL_BACKEND"] == SMTP_BACKEND
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"]) == ("mail.example.org", 587)
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"]) == ("labbet", "s@cret")
    assert config["EMAIL_USE_TLS"] is True
    assert config["EMAIL_TIMEOUT"] == 30
    assert config["DEFAULT_FROM_EMAIL"] == "labbet@example.org"


def test_the_usual_set_of_variables_names_it_too():
    config = email_config(
        {
            "EMAIL_HOST": "mail.example.org",
            "EMAIL_PORT": "465",
            "EMAIL_HOST_USER": "labbet",
            "EMAIL_HOST_PASSWORD": "secret",
            "EMAIL_USE_SSL": "1",
        }
    )
    assert config["EMAIL_BACKEND"] == SMTP_BACKEND
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"]) == ("mail.example.org", 465)
    assert config["EMAIL_USE_SSL"] is True and config["EMAIL_USE_TLS"] is False


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"EMAIL_URL": "mail.example.org:587"}, "EMAIL_URL must start with smtp://"),
        ({"EMAIL_URL": "smtp://mail.example.org:abc/"}, "EMAIL_URL could not be read"),
        ({"EMAIL_URL": "smtp://:587/"}, "EMAIL_URL names no host"),
        ({"EMAIL_HOST": "mail", "EMAIL_PORT": "smtp"}, "EMAIL_PORT must be a whole number"),
        ({"EMAIL_HOST": "mail", "EMAIL_USE_TLS": "maybe"}, "EMAIL_USE_TLS must be one of"),
        (
            {"EMAIL_HOST": "mail", "EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"},
            "EMAIL_USE_TLS .* or EMAIL_USE_SSL .*, not both",
        ),
    ],
)
def test_a_malformed_value_is_named_at_startup(environ, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        email_config(environ)

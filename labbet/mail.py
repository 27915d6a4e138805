"""Labbet's emails: subjects on one line, one message per person, an unsubscribe link on the
automatic ones, and runs that go on past one bad address or one server error."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "labbet.unsubscribe"


def one_line(text: str) -> str:
    """A header may not hold a line break (Django raises BadHeaderError): a workshop question
    typed over two lines becomes one line with single spaces."""
    return " ".join(text.split())


def unsubscribe_token(participant_pk: int) -> str:
    return signing.dumps(participant_pk, salt=UNSUBSCRIBE_SALT, compress=True)


def participant_pk_from_token(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def build_email(
    kind: str, context: dict[str, Any], to: str, *, unsubscribe_url: str = ""
) -> EmailMessage:
    """emails/<kind>_subject.txt and _body.txt, rendered in the active language. An automatic
    email (one its reader did not ask for there and then) carries List-Unsubscribe and the
    one-click header of RFC 8058, so a mail client offers the way out too."""
    context = {**context, "unsubscribe_url": unsubscribe_url}
    subject = one_line(render_to_string(f"emails/{kind}_subject.txt", context))
    body = render_to_string(f"emails/{kind}_body.txt", context)
    headers = {}
    if unsubscribe_url:
        headers = {
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    return EmailMessage(subject, body, None, [to], headers=headers)


@dataclass
class MailRun:
    """What a run of emails did: how many went, and who did not get theirs."""

    sent: int = 0
    failed: list[str] = field(default_factory=list)

    def add(self, other: MailRun) -> None:
        self.sent += other.sent
        self.failed.extend(other.failed)


def send_each(messages: Iterable[EmailMessage], what: str) -> MailRun:
    """Send the messages over one connection; a message that fails is logged and counted, and
    the rest still go (a refused address or a server hiccup must not stop the run)."""
    run = MailRun()
    connection = get_connection()
    try:
        connection.open()  # one session for the run, not one per message
    except Exception:
        logger.warning("Could not open the mail connection; trying message by message")
    for message in messages:
        message.connection = connection
        try:
            message.send()
        except Exception:
            logger.exception("Could not send the %s to %s", what, ", ".join(message.to))
            run.failed.extend(message.to)
            # After an error the SMTP session may be unusable: the next send opens a new one.
            try:
                connection.close()
            except Exception:
                logger.debug("Closing the mail connection after an error failed", exc_info=True)
        else:
            run.sent += 1
    try:
        connection.close()
    except Exception:
        logger.debug("Closing the mail connection failed", exc_info=True)
    return run

""" "Everyone, write one suggestion now": phones that press Send at the same moment, some
reading Swedish and some English, are all saved once, shown once on the projector and on every
phone, and each phone is thanked in its own language (the server saves such posts together:
insights.actions.posts.post_contributions)."""

from __future__ import annotations

import pytest

from tests.e2e.test_live_room import open_projector, projector_key, wait_live

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

__all__ = ["projector_key"]  # the fixture, shared with the live room's tests

THANKS = {
    "sv": "Tack! Ditt förslag finns nu på väggen.",
    "en": "Thank you! Your suggestion is on the wall.",
}
LANGUAGES = ["sv", "en", "sv", "sv", "en", "sv"]
# Unlike each other and the wall: a text very like a card is offered a dot instead.
TEXTS = [
    "Samtidigt: öppna bussarnas positioner som ett API",
    "Samtidigt: pilotera med en kommun i taget",
    "Samtidigt: gemensam upphandling för sensorer",
    "Samtidigt: ett juridiskt stöd för datadelning",
    "Samtidigt: mät nyttan innan nästa budgetår",
    "Samtidigt: låt studenter bygga prototyper i sommar",
]


def test_phones_that_press_send_together_are_each_saved_once_and_thanked_in_their_language(
    new_context, live_server, projector_key
):
    projector = open_projector(new_context, live_server, projector_key)
    phones = []
    for language in LANGUAGES:  # each as chosen with the phone's language switch
        phone = new_context("phone", language=language).new_page()
        phone.goto(f"{live_server.url}/j/STAD26/")
        wait_live(phone)
        phones.append(phone)
    texts = TEXTS
    for phone, text in zip(phones, texts, strict=True):
        phone.check("#post-form input[name=kind][value=suggestion]")
        phone.fill("#post-form textarea[name=text]", text)

    # Send on every phone within a few milliseconds: each tap only starts the page's send.
    for phone in phones:
        phone.evaluate("document.querySelector('#post-form').requestSubmit()")

    for phone, language in zip(phones, LANGUAGES, strict=True):
        phone.locator(".post-confirm", has_text=THANKS[language]).wait_for()
        assert phone.locator("#post-form textarea").input_value() == ""
    # On every screen, each card once (a full wall folds the older cards away: there, not shown).
    for screen in (projector, *phones):
        for text in texts:
            card = screen.locator(".card__text", has_text=text)
            card.first.wait_for(state="attached", timeout=5000)
            assert card.count() == 1, f"{text!r} shown {card.count()} times"
    saved = live_server.shell(
        "from insights.models import Contribution; "
        "print(Contribution.objects.filter(text__startswith='Samtidigt:').count())"
    )
    assert saved.strip() == str(len(texts))

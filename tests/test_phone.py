"""The phone over HTTP: joining by code, the page, and posting without the socket."""

import pytest
from django.test import Client
from django.urls import reverse

from insights.models import Contribution
from tests.factories import make_workshop, post
from workshops.models import Participant, Workshop

pytestmark = pytest.mark.django_db


def join(client, workshop):
    return client.get(reverse("workshops:join", args=[workshop.code]))


def post_form(client, workshop, htmx=True, **data):
    fields = {"kind": "insight", "text": "Fear of failure", "client_key": "k1", **data}
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(reverse("insights:post", args=[workshop.code]), fields, **headers)


def test_join_code_box_takes_the_code_however_it_is_typed(client):
    workshop = make_workshop(code="STAD26")
    response = client.get("/", {"code": " stad-26 "})
    assert response.status_code == 302
    assert response["Location"] == f"/j/{workshop.code}/"


def test_unknown_join_code_gets_a_clear_message(client):
    response = client.get("/", {"code": "QQQQQ9"})
    assert response.status_code == 404
    assert "No workshop has the code" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()


def test_unknown_phone_link_gets_a_404_page_that_helps(client):
    response = client.get("/j/QQQQQ9/")
    assert response.status_code == 404
    assert "Workshop code" in response.content.decode()


def test_phone_page_has_the_form_the_prompt_and_the_wall(client):
    workshop = make_workshop()
    post(workshop, text="Pilots with citizens")
    response = join(client, workshop)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="post-form"' in html and 'ws-connect="/ws/w/' in html
    assert "Pilots with citizens" in html
    assert 'maxlength="400"' in html
    assert f'data-cursor="{Workshop.objects.get(pk=workshop.pk).live_seq}"' in html


def test_joining_makes_one_anonymous_participant_per_phone(client):
    workshop = make_workshop()
    join(client, workshop)
    join(client, workshop)
    assert workshop.participants.filter(role=Participant.Role.AUDIENCE).count() == 1


def test_phone_post_over_htmx_answers_with_a_fresh_form_and_confirmation(client):
    workshop = make_workshop()
    join(client, workshop)
    response = post_form(client, workshop, text="Shared leadership", kind="suggestion")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Your suggestion is on the wall" in html
    assert 'data-sent-key="k1"' in html
    assert Contribution.objects.get().text == "Shared leadership"


def test_a_phone_that_posts_before_its_page_ever_loaded_is_made_a_place_and_saved(client):
    """A browser that sends the form without having opened the page (a page kept from an
    earlier visit, cookies cleared): it becomes one more phone in the room, as the page would
    have made it, and its post is saved in its name."""
    workshop = make_workshop()
    response = post_form(client, workshop, text="Posted straight away")
    assert response.status_code == 200 and 'data-sent-key="k1"' in response.content.decode()
    (person,) = workshop.participants.filter(role=Participant.Role.AUDIENCE)
    assert Contribution.objects.get().author == person
    # and the next post is the same person's
    post_form(client, workshop, text="And a second thought", client_key="k2")
    audience = workshop.participants.filter(role=Participant.Role.AUDIENCE)
    assert audience.count() == 1 and person.contributions.count() == 2


def test_a_guest_whose_link_was_revoked_posts_as_one_more_phone_not_in_their_name(client):
    """The receiver's link is revoked while their phone page is open; their next Send (no
    new page in between) is saved as an audience member's, not as the receiver's."""
    from tests.factories import enter_by_invite, make_receiver
    from workshops.actions.invites import revoke_invite

    workshop = make_workshop()
    receiver = make_receiver(workshop)
    enter_by_invite(client, receiver)
    join(client, workshop)
    revoke_invite(receiver)
    response = post_form(client, workshop, text="Still in the room")
    assert response.status_code == 200, response.content
    author = Contribution.objects.get(text="Still in the room").author
    assert author != receiver and author.role == Participant.Role.AUDIENCE


def test_a_double_submit_saves_once(client):
    workshop = make_workshop()
    join(client, workshop)
    post_form(client, workshop)
    post_form(client, workshop)
    assert Contribution.objects.count() == 1


def test_without_javascript_a_post_redirects_back_with_a_message(client):
    workshop = make_workshop()
    join(client, workshop)
    response = post_form(client, workshop, htmx=False)
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "Your post arrived" in page.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": ""}, "the field is empty"),
        ({"text": "\u200b  \n"}, "the field is empty"),
        ({"text": "y" * 401}, "keep it to 400 characters"),
    ],
)
def test_bad_posts_over_http_keep_the_text_and_save_nothing(client, data, message):
    workshop = make_workshop()
    join(client, workshop)
    response = post_form(client, workshop, htmx=False, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    # A screen reader on the text field hears why it was refused.
    assert 'aria-invalid="true" aria-describedby="post-errors text-count"' in (
        response.content.decode()
    )
    assert Contribution.objects.count() == 0


def test_a_refused_choice_keeps_the_others_and_points_to_the_message(client):
    workshop = make_workshop()
    obstacle = workshop.challenges.get().obstacles.order_by("order").last()
    join(client, workshop)
    response = post_form(client, workshop, kind="suggestion", obstacle="999999", text="Keep me")
    html = response.content.decode()
    assert "That obstacle is not part of this workshop." in html
    assert 'id="post-errors"' in html
    assert (
        '<select name="obstacle" id="id_obstacle" aria-invalid="true" '
        'aria-describedby="post-errors">' in html
    )
    assert 'value="suggestion" id="id_kind_1" required checked' in html  # the choice is kept
    assert "Keep me" in html
    response = post_form(client, workshop, kind="suggestion", obstacle=str(obstacle.pk))
    html = response.content.decode()
    assert "Your suggestion is on the wall" in html
    # The next post keeps what the person chose, with a fresh key and nothing to fix.
    assert f'<option value="{obstacle.pk}" selected>' in html and "aria-invalid" not in html
    assert Contribution.objects.get().obstacle == obstacle


def test_a_refused_post_leaves_nothing_behind_for_the_next_phone(client):
    """The post form's fields are shared by every form (insights/forms.py): one phone's
    refusal, choice or typed text never shows on another phone's form."""
    from insights.forms import ContributionForm

    def snapshot():
        return {
            name: (dict(vars(field)), dict(field.widget.attrs), getattr(field, "choices", None))
            for name, field in ContributionForm.base_fields.items()
        }

    before = snapshot()
    workshop = make_workshop()
    join(client, workshop)
    post_form(client, workshop, kind="suggestion", obstacle="999999", text="y" * 401)
    post_form(client, workshop, kind="nonsense", text="")
    post_form(client, workshop, kind="suggestion", text="Kept", display_name="Lena")
    assert snapshot() == before
    other = Client()
    html = join(other, workshop).content.decode()
    assert "aria-invalid" not in html and "not part of this workshop" not in html
    assert 'name="display_name" value=""' in html and 'maxlength="400"' in html


def test_an_over_long_post_is_given_back_to_edit(client):
    workshop = make_workshop()
    join(client, workshop)
    text = "long thought " * 40
    response = post_form(client, workshop, text=text)
    assert text.strip() in response.content.decode()


def test_pre_moderated_post_tells_the_phone_a_labber_will_show_it(client):
    workshop = make_workshop(moderation=Workshop.Moderation.PRE)
    join(client, workshop)
    response = post_form(client, workshop, text="Waiting")
    assert "A labber will put it on the wall shortly" in response.content.decode()
    assert "Waiting" not in join(client, workshop).content.decode().split('id="wall"')[1]


def test_a_closed_workshop_shows_a_disabled_form_with_the_reason(client):
    workshop = make_workshop(status=Workshop.Status.CLOSED)
    html = join(client, workshop).content.decode()
    assert "has closed" in html
    assert "disabled" in html.split('class="post-fields"')[1][:30]
    assert post_form(client, workshop).status_code == 200
    assert Contribution.objects.count() == 0


def test_phone_uses_the_workshop_language_unless_the_person_chose(client):
    workshop = make_workshop(language="sv")
    assert '<html lang="sv"' in join(client, workshop).content.decode()
    client.cookies["django_language"] = "en"
    assert '<html lang="en"' in join(client, workshop).content.decode()


def test_a_post_reads_the_workshop_once_and_moves_the_cursor_in_one_statement(
    client, django_assert_max_num_queries, settings
):
    """The post is the room's hottest request (10 a second in a large room): the limits
    middleware and the view share one read of the workshop, the challenge's obstacles are
    asked once, and the live cursor is advanced and read back in one statement."""
    settings.LABBET_RATE_LIMITS = {"join": (600, 60), "post": (5, 30)}
    workshop = make_workshop()
    join(client, workshop)
    post_form(client, workshop, client_key="warm-up")
    # 15: the phone's "something similar" offer (insights/duplicates.py) brings this
    # process's index of the wall up to date with posts that came meanwhile, and, as here
    # where the same text was posted before, reads the close cards to offer one.
    with django_assert_max_num_queries(15) as queries:
        response = post_form(client, workshop, client_key="counted")
    assert response.status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum('FROM "workshops_workshop"' in s and "FOR UPDATE" not in s for s in sql) <= 2
    # The obstacles are not read again: this process read them for the warm-up, under the
    # same challenges_version (workshops/regions.py). The room's counters (posts by status,
    # people joined) are one statement.
    assert sum("challenges_obstacle" in s for s in sql) == 0
    assert sum("COUNT(*)" in s for s in sql) == 1
    assert any("RETURNING" in s for s in sql)


def test_a_phone_is_offered_an_obstacle_as_soon_as_a_labber_changes_them(client):
    """The obstacles are kept in the serving process between posts, under the room's
    challenges_version: one a labber adds, rewords or removes (on the setup page, or in the
    admin) is in the very next answer, and an answer never offers one that is gone."""
    from challenges import actions as challenge_actions
    from challenges.models import Obstacle

    workshop = make_workshop(obstacles=("Silos",))
    join(client, workshop)
    assert "Silos" in post_form(client, workshop, client_key="a").content.decode()
    challenge = workshop.challenges.get()
    added = challenge_actions.add_obstacle(challenge, "No budget")
    answer = post_form(client, workshop, client_key="b", obstacle=str(added.pk)).content.decode()
    assert "No budget" in answer and "Thank you" in answer
    challenge_actions.reword_obstacle(added, "No money")
    answer = post_form(client, workshop, client_key="c", text="Again").content.decode()
    assert "No money" in answer and "No budget" not in answer
    # As the admin saves it: no action, the model's own save.
    silos = Obstacle.objects.get(text="Silos")
    silos.text = "Walls between units"
    silos.save()
    answer = post_form(client, workshop, client_key="d", text="Once more").content.decode()
    assert "Walls between units" in answer and "Silos" not in answer
    # Another process's change: this process forgot nothing, the room's row tells it.
    from django.db.models import F

    Obstacle.objects.filter(pk=added.pk).update(text="No funds")
    type(workshop).objects.filter(pk=workshop.pk).update(
        challenges_version=F("challenges_version") + 1
    )
    answer = post_form(client, workshop, client_key="d2", text="Then").content.decode()
    assert "No funds" in answer and "No money" not in answer
    # A challenge removed with its obstacles: gone from the form, and refused if still sent.
    from workshops.actions.setup import remove_challenge

    remove_challenge(challenge)
    answer = post_form(client, workshop, client_key="e", obstacle=str(silos.pk)).content.decode()
    assert "Walls between units" not in answer and "No funds" not in answer
    assert "That obstacle is not part of this workshop." in answer

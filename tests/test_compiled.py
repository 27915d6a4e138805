"""The post's hottest reads run SQL the ORM compiled once (labbet/compiled.py): they must read
exactly what the ORM reads (every field, converted: dates, JSON), for any number of keys,
lock the room's row where the database can, and fall back to the ORM when a statement cannot
be reused. Both passes of the suite run these: SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from insights.models import Contribution
from labbet import compiled
from tests.factories import make_audience, make_workshop, post
from workshops.access import find_workshop
from workshops.actions.setup import add_challenge
from workshops.models import Participant, Workshop, locked_workshop
from workshops.regions import obstacles_of, workshop_obstacles

pytestmark = pytest.mark.django_db


def fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_a_person_and_the_room_read_as_the_orm_reads_them():
    workshop = make_workshop()
    person = make_audience(workshop, name="Row 14")
    person.invite_expires_at = timezone.now() + timedelta(days=3)
    person.save()
    read = compiled.by_pk(Participant, [person.pk])[person.pk]
    assert fields(read) == fields(Participant.objects.get(pk=person.pk))
    room = compiled.by_pk(Workshop, [workshop.pk])[workshop.pk]
    assert fields(room) == fields(Workshop.objects.get(pk=workshop.pk))
    assert room.created_at.tzinfo is not None  # converted, not the database's text


def test_any_number_of_keys_each_its_own_statement_and_unknown_keys_left_out():
    workshop = make_workshop()
    people = [make_audience(workshop, name=f"P{i}") for i in range(4)]
    for n in (1, 2, 3, 4, 2, 1):
        keys = [p.pk for p in people[:n]]
        assert sorted(compiled.by_pk(Participant, keys)) == sorted(keys)
    assert compiled.by_pk(Participant, [people[0].pk, 10**9]).keys() == {people[0].pk}
    assert compiled.by_pk(Participant, [people[1].pk, people[1].pk]).keys() == {people[1].pk}
    assert compiled.by_pk(Participant, []) == {}


def test_a_join_code_finds_its_open_room_and_an_unknown_one_none():
    workshop = make_workshop()
    assert find_workshop(workshop.code).pk == workshop.pk
    assert find_workshop(workshop.code.lower()).pk == workshop.pk
    assert find_workshop("ZZZZZZ") is None


def test_the_rooms_row_is_locked_where_the_database_locks_rows():
    workshop = make_workshop()
    with transaction.atomic(), CaptureQueriesContext(connection) as seen:
        locked = locked_workshop(workshop)
        assert locked_workshop(workshop.pk).pk == workshop.pk
    assert fields(locked) == fields(Workshop.objects.get(pk=workshop.pk))
    if connection.features.has_select_for_no_key_update:
        assert all("FOR NO KEY UPDATE" in q["sql"] for q in seen.captured_queries)
    with pytest.raises(Workshop.DoesNotExist), transaction.atomic():
        locked_workshop(10**9)


def test_a_statement_whose_values_the_orm_rewrites_is_left_to_the_orm():
    workshop = make_workshop()
    make_audience(workshop, name="Anna Lind")
    # icontains wraps its value in wildcards: the compiled parameters are not the values.
    found = compiled.rows(
        Participant,
        "name_contains",
        lambda values: Participant.objects.filter(display_name__icontains=values[0]),
        ["lind"],
    )
    assert [p.display_name for p in found] == ["Anna Lind"]
    assert [sql for key, sql in compiled._SQL.items() if key[0] == "name_contains"] == [None]


def test_the_obstacles_read_with_their_challenges_as_the_orm_reads_them():
    workshop = make_workshop(obstacles=("Silos", "No trust"))
    add_challenge(workshop, title="A second challenge", obstacles=("Money",))
    workshop = Workshop.objects.get(pk=workshop.pk)
    expected = list(obstacles_of(workshop))
    with CaptureQueriesContext(connection) as seen:
        read = workshop_obstacles(workshop)
        titles = [obstacle.challenge.title for obstacle in read]  # no query per challenge
        assert workshop_obstacles(workshop) is read  # kept for the request
    assert len(seen.captured_queries) == 1
    assert [fields(o) for o in read] == [fields(o) for o in expected]
    assert [fields(o.challenge) for o in read] == [fields(o.challenge) for o in expected]
    assert titles == ["Our challenge", "Our challenge", "A second challenge"]


def test_values_read_as_the_orms_values_list():
    workshop = make_workshop(obstacles=())
    first, second = post(workshop, text="Första"), post(workshop, text="Andra")

    def new_since(pk):
        return compiled.value_rows(
            Contribution,
            "test_new_since",
            lambda values: (
                Contribution.objects.filter(workshop_id=values[0], pk__gt=values[1])
                .order_by("pk")
                .values_list("pk", "text", "created_at")
            ),
            [workshop.pk, pk],
        )

    orm = list(
        Contribution.objects.filter(workshop=workshop)
        .order_by("pk")
        .values_list("pk", "text", "created_at")
    )
    assert new_since(0) == orm
    assert new_since(first.pk) == orm[1:]
    assert new_since(second.pk) == []
    assert orm[0][2].tzinfo is not None  # converted, not the database's text
    # filter() sorts its keywords, so the SQL asks for the key before the workshop: the values
    # still go where they belong, and the statement is compiled, not left to the ORM.
    assert [s is not None for k, s in compiled._SQL.items() if k[0] == "test_new_since"] == [True]


def test_every_read_a_post_makes_by_a_compiled_statement_is_compiled(client):
    """None of the post's compiled reads falls back to the ORM unnoticed (each is slower by
    the ORM than compiled: labbet/compiled.py's docstring)."""
    workshop = make_workshop()
    client.get(f"/j/{workshop.code}/")
    response = client.post(
        f"/j/{workshop.code}/post/",
        {"kind": "insight", "text": "Fear of failure", "client_key": "k1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    post(workshop, text="A second post")
    used = {key[0]: statement for key, statement in compiled._SQL.items()}
    for name in ("by_code", "by_pk", "locked", "obstacles_of", "new_on_wall"):
        assert used.get(name, "not read") is not None, name


def test_a_post_is_inserted_as_the_orm_inserts_it():
    """compiled.insert saves what Model.save() saves: every field, the dates set by
    auto_now(_add), the key the database gave, and the instance saved (no longer adding)."""
    workshop = make_workshop()
    person = make_audience(workshop, name="Row 14")
    mine = compiled.insert(
        Contribution(workshop=workshop, author=person, kind="suggestion", text="Mer cykelbanor")
    )
    theirs = Contribution.objects.create(
        workshop=workshop, author=person, kind="suggestion", text="Mer cykelbanor"
    )
    assert mine.pk is not None and not mine._state.adding and mine._state.db == "default"
    read = Contribution.objects.get(pk=mine.pk)
    assert mine.created_at is not None and mine.created_at == read.created_at
    ignore = {"id", "created_at", "updated_at"}
    saved = {k: v for k, v in fields(read).items() if k not in ignore}
    assert saved == {k: v for k, v in fields(theirs).items() if k not in ignore}
    assert fields(mine) == fields(read)


def test_a_live_event_keeps_its_fragments_as_json():
    from live.models import LiveEvent

    workshop = make_workshop()
    fragments = {"phone": "<p>å ä ö</p>", "console": ""}
    with transaction.atomic():
        event = compiled.insert(
            LiveEvent(workshop=workshop, seq=99, kind="test.kind", fragments=fragments)
        )
    assert LiveEvent.objects.get(pk=event.pk).fragments == fragments


def test_an_insert_that_breaks_a_unique_key_is_the_orms_integrity_error():
    from django.db import IntegrityError

    workshop = make_workshop()
    person = make_audience(workshop)
    compiled.insert(Contribution(workshop=workshop, author=person, text="a", client_key="k1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        compiled.insert(Contribution(workshop=workshop, author=person, text="b", client_key="k1"))
    assert Contribution.objects.filter(client_key="k1").count() == 1


def test_a_model_with_a_save_receiver_is_saved_by_the_orm():
    from django.db.models.signals import post_save

    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((instance.pk, created))

    workshop = make_workshop()
    person = make_audience(workshop)
    post_save.connect(receiver, sender=Contribution)
    try:
        saved = compiled.insert(Contribution(workshop=workshop, author=person, text="Hörs"))
    finally:
        post_save.disconnect(receiver, sender=Contribution)
    assert heard == [(saved.pk, True)]

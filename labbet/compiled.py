"""The hottest reads and inserts of a post, by SQL the ORM compiled once.

A phone's post reads its person and the room, reads them again in the transaction, and locks
the room's row; an HTTP post first finds the room by its code. The ORM compiles each of those
statements anew every time, and for a one-row read that is most of the cost (measured in
process, SQLite, the demo: a person with the room joined 0.74 ms by the ORM, 0.27 ms as two
reads compiled once; the room by its code 0.47 against about 0.15). Here the ORM still writes
the SQL (the backend's quoting, every concrete field, FOR NO KEY UPDATE on PostgreSQL), once
per statement, database and number of keys, from a queryset built with stand-in values. Each
read then runs that SQL with the real values and makes its rows as the ORM's own reads make
them: the same columns, the fields' converters (dates, JSON), `Model.from_db`, and the
related rows of a `select_related` put in place by Django's own populators. Through `raw()`
the same read cost two to three times as much: raw() works out its columns and converters
anew on every call (measured in process: the room by its key 0.18 ms by raw(), 0.04 ms the
statement alone).

A post also inserts two rows, its contribution and its live event; `insert` saves a new
instance by an INSERT the ORM compiled once, with each field's value prepared as the ORM's
own save prepares it (`pre_save`, so auto_now fields are set; `get_db_prep_save`, so JSON is
encoded). Measured in process, SQLite: the live event's row 161-216 µs by `create()`, 67-86 µs
so. A model with a pre_save or post_save receiver, or a parent model, is saved by the ORM."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import Model, QuerySet, signals
from django.db.models.query import get_related_populators
from django.db.models.sql import InsertQuery

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class _Statement:
    """A read compiled once: its SQL, and how the ORM turns its rows into values or models."""

    sql: str
    # Which of the read's values goes to each of the SQL's parameters: the ORM may put the
    # conditions in another order than the queryset names them (filter() sorts its keywords).
    order: tuple[int, ...]
    # {column: (converters, expression)}, as the ORM's compiler gives them.
    converters: dict[int, tuple[list, Any]]
    # For models: the attnames of the model's own columns, where they are in the row, and
    # the populators of its select_related rows.
    init_list: list[str] | None = None
    start: int = 0
    end: int = 0
    populators: list | None = None


# Per statement: what it compiled to, or None when it cannot be reused (the ORM then runs it
# each time).
_SQL: dict[tuple, _Statement | None] = {}


def _stand_ins(values: Sequence[Any]) -> list[Any]:
    """Values no real read uses, one per value and of its kind, all different: the compiled
    parameters must be exactly these, each once (in any order), or the statement is not
    reused."""
    return [
        -(i + 1) if isinstance(value, int) else f"\x00labbet-stand-in-{i}"
        for i, value in enumerate(values)
    ]


def rows(
    model: type[M],
    name: str,
    build: Callable[[list[Any]], QuerySet[M]],
    values: Sequence[Any],
) -> list[M]:
    """The rows of `build(values)`, a queryset of `model` whose parameters are `values`, each
    used once. `name` names the statement; a statement whose parameters come out differently
    (a lookup that rewrites its value) is run by the ORM each time, as before."""
    alias = router.db_for_read(model)
    statement = _statement(model, name, build, values, alias, models=True)
    if statement is None:
        return list(build(list(values)))
    found = []
    for row in _execute(statement, alias, values):
        instance = model.from_db(alias, statement.init_list, row[statement.start : statement.end])
        for populator in statement.populators or ():
            populator.populate(row, instance)
        found.append(instance)
    return found


def value_rows(
    model: type[Model],
    name: str,
    build: Callable[[list[Any]], QuerySet],
    values: Sequence[Any],
) -> list[tuple]:
    """The rows of `build(values)`, a `values_list()` queryset of `model`, as tuples."""
    alias = router.db_for_read(model)
    statement = _statement(model, name, build, values, alias, models=False)
    if statement is None:
        return list(build(list(values)))
    return [tuple(row) for row in _execute(statement, alias, values)]


def _statement(
    model: type[Model],
    name: str,
    build: Callable[[list[Any]], QuerySet],
    values: Sequence[Any],
    alias: str,
    models: bool,
) -> _Statement | None:
    connection = connections[alias]
    # The vendor and whether a transaction is open: FOR UPDATE compiles only inside one.
    key = (name, model, len(values), alias, connection.vendor, connection.in_atomic_block)
    if key not in _SQL:
        stand_ins = _stand_ins(values)
        compiler = build(stand_ins).query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        statement = None
        order = tuple(stand_ins.index(p) if p in stand_ins else -1 for p in params)
        if sorted(order) == list(range(len(stand_ins))):
            select = compiler.select
            converters = compiler.get_converters([column for column, _sql, _alias in select])
            made: dict[str, Any] = {}
            if models:
                info = compiler.klass_info
                start, end = info["select_fields"][0], info["select_fields"][-1] + 1
                made = {
                    "init_list": [column[0].target.attname for column in select[start:end]],
                    "start": start,
                    "end": end,
                    "populators": get_related_populators(info, select, alias),
                }
            statement = _Statement(sql, order, converters, **made)
        _SQL[key] = statement
    return _SQL[key]


def _execute(statement: _Statement, alias: str, values: Sequence[Any]) -> list:
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [values[i] for i in statement.order])
        rows = cursor.fetchall()
    if not statement.converters:
        return rows
    converted = []
    for row in rows:
        row = list(row)
        for position, (converters, expression) in statement.converters.items():
            value = row[position]
            for converter in converters:
                value = converter(value, expression, connection)
            row[position] = value
        converted.append(row)
    return converted


def by_pk(model: type[M], pks: Sequence[int]) -> dict[int, M]:
    """`model.objects.in_bulk(pks)`, compiled once per number of keys."""
    keys = list(dict.fromkeys(pks))
    if not keys:
        return {}
    found = rows(
        model,
        "by_pk",
        lambda values: model._default_manager.filter(pk__in=values).order_by(),
        keys,
    )
    return {row.pk: row for row in found}


@dataclass(frozen=True)
class _Insert:
    """An INSERT of one row compiled once: its SQL and the fields whose values it takes."""

    sql: str
    fields: tuple
    returning_params: tuple
    returns_pk: bool


_INSERTS: dict[tuple, _Insert | None] = {}


def insert(instance: M) -> M:
    """`instance.save(force_insert=True)` for a new instance: one INSERT, its primary key set
    from the database, the instance then saved as the ORM leaves it (not adding, its database
    known). Errors are the ORM's (IntegrityError on a unique key). A model that signals or
    inherits, or a value that is an expression, goes through the ORM's own save."""
    model = type(instance)
    meta = model._meta
    if (
        meta.parents
        or meta.pk is None
        or signals.pre_save.has_listeners(model)
        or signals.post_save.has_listeners(model)
    ):
        instance.save(force_insert=True)
        return instance
    instance._prepare_related_fields_for_save(operation_name="save")
    alias = router.db_for_write(model, instance=instance)
    connection = connections[alias]
    pk_set = instance.pk is not None
    key = (model, alias, connection.vendor, pk_set)
    statement = _INSERTS.get(key)
    if statement is None:
        fields = tuple(
            f
            for f in meta.local_concrete_fields
            if not f.generated and (pk_set or f is not meta.auto_field)
        )
        query = InsertQuery(model)
        query.insert_values(fields, [model()])
        compiler = query.get_compiler(using=alias)
        returns_pk = not pk_set and connection.features.can_return_columns_from_insert
        compiler.returning_fields = [meta.pk] if returns_pk else None
        ((sql, params),) = compiler.as_sql()
        # One parameter per field, or some field compiled to SQL of its own (a database
        # default): then the ORM saves this model every time.
        statement = _INSERTS[key] = (
            _Insert(sql, fields, tuple(compiler.returning_params), returns_pk)
            if len(params) == len(fields)
            else None
        )
    if statement is None:
        instance.save(force_insert=True)
        return instance
    values = []
    for field in statement.fields:
        value = field.pre_save(instance, True)
        if hasattr(value, "resolve_expression"):  # Now(), a database default: SQL of its own
            instance.save(force_insert=True)
            return instance
        values.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, values)
        if not pk_set:
            if statement.returns_pk:
                (pk,) = connection.ops.fetch_returned_insert_columns(
                    cursor, list(statement.returning_params)
                )
            else:
                pk = connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)
            setattr(instance, meta.pk.attname, meta.pk.to_python(pk))
    instance._state.adding = False
    instance._state.db = alias
    return instance

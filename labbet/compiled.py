"""The hottest reads of a post, by SQL the ORM compiled once.

A phone's post reads its person and the room, reads them again in the transaction, and locks
the room's row; an HTTP post first finds the room by its code. The ORM compiles each of those
statements anew every time, and for a one-row read that is most of the cost (measured in
process, SQLite, the demo: a person with the room joined 0.74 ms by the ORM, 0.27 ms as two
reads compiled once; the room by its code 0.47 against about 0.15). Here the ORM still writes
the SQL (the backend's quoting, every concrete field, FOR NO KEY UPDATE on PostgreSQL), once
per statement, database and number of keys, from a queryset built with stand-in values; each
read then runs it with the real values through `raw()`, which applies the fields' converters
(dates, JSON) as the ORM's own reads do."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)

# Per statement: its SQL, or None when it cannot be reused (the ORM then runs it each time).
_SQL: dict[tuple, str | None] = {}


def _stand_ins(values: Sequence[Any]) -> list[Any]:
    """Values no real read uses, one per value and of its kind, all different: the compiled
    parameters must be exactly these, in this order, or the statement is not reused."""
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
    """The rows of `build(values)`, a queryset of `model` whose parameters are `values` in
    order. `name` names the statement; a statement whose parameters come out differently (a
    lookup that rewrites its value) is run by the ORM each time, as before."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    # The vendor and whether a transaction is open: FOR UPDATE compiles only inside one.
    key = (name, model, len(values), alias, connection.vendor, connection.in_atomic_block)
    if key not in _SQL:
        stand_ins = _stand_ins(values)
        sql, params = build(stand_ins).query.sql_with_params()
        _SQL[key] = sql if list(params) == stand_ins else None
    sql = _SQL[key]
    if sql is None:
        return list(build(list(values)))
    return list(model._default_manager.db_manager(alias).raw(sql, list(values)))


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

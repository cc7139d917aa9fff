"""SQL the ORM does not write for us, for PostgreSQL and SQLite alike."""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import JSONField, Model, QuerySet, Subquery


class JSONRows(Subquery):
    """The rows of `queryset` (only `columns`: fields or annotations, in the queryset's order)
    as one JSON array of arrays, computed in the database: a page's photos or lots come with
    their listing's row instead of in a query of their own. An empty set is `[]`."""

    def __init__(self, queryset: QuerySet, columns: list[str]):
        self.columns = columns
        super().__init__(queryset.values(*columns), output_field=JSONField())

    def as_sql(self, compiler, connection, template=None, **extra_context):
        inner, params = super().as_sql(compiler, connection, template="%(subquery)s",
                                       **extra_context)
        model = self.query.model
        # a model field by its column, an annotation (a joined value) by its own name
        names = [c if c in self.query.annotations else model._meta.get_field(c).column
                 for c in self.columns]
        cells = ", ".join(connection.ops.quote_name(n) for n in names)
        if connection.vendor == "postgresql":
            # jsonb, read as text and parsed by JSONField like any other JSON value
            sql = (f"(SELECT COALESCE(jsonb_agg(jsonb_build_array({cells})), '[]'::jsonb) "
                   f"FROM ({inner}) _rows)")
        else:
            sql = (f"(SELECT COALESCE(json_group_array(json_array({cells})), '[]') "
                   f"FROM ({inner}) _rows)")
        return sql, params


_NO_MATCH = object()


def _adapters(connection) -> list[Callable[[Any], Any]]:
    """The ways a value reaches a compiled query's parameters: as it is, as text (SQLite's
    dates), as a LIKE prefix pattern (`__startswith`), or as the backend adapts a time or a
    decimal."""
    ops = connection.ops

    def like_prefix(value):
        return ops.prep_for_like_query(value) + "%" if isinstance(value, str) else _NO_MATCH

    def time(value):
        return ops.adapt_datetimefield_value(value) if isinstance(value, datetime) else _NO_MATCH

    def decimal(value):
        return ops.adapt_decimalfield_value(value) if isinstance(value, Decimal) else _NO_MATCH

    return [lambda value: value, str, like_prefix, time, decimal]


def _as_type(kind: type, adapt: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: kind(adapt(value))


class CompiledValues:
    """A values() query compiled to SQL once and then run with new parameters: for the hot
    reads whose shape never changes (a listing by id, a lot by trace code, a catalog page of
    given filters), building and compiling the query cost more than PostgreSQL spends running
    it.

    `build(**placeholders)` returns the values() queryset; each keyword is a placeholder value
    that must appear among the compiled parameters (once or more: a keyset page compares a
    sort value twice), as it is, in the backend's own subtype of its type, or as the backend
    adapts it (see _adapters), and no other parameter may equal it. `rows(**values)` runs the
    SQL with the values in its place, each adapted as its placeholder was. Rows come back as
    dicts, converted as Django converts them (JSON, decimals on SQLite)."""

    def __init__(self, build: Callable[..., QuerySet], **placeholders: Any):
        self._build = build
        self._placeholders = placeholders
        self._compiled: dict[str, tuple] = {}
        self._model = None

    def _compile(self, alias: str) -> tuple:
        from django.db import connections

        queryset = self._build(**self._placeholders)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        adapters = _adapters(connections[alias])
        slots: dict[str, list[tuple[int, Callable]]] = {}
        for name, value in self._placeholders.items():
            found = []
            for index, param in enumerate(params):
                for adapt in adapters:
                    wanted = adapt(value)
                    if type(param) is type(wanted) and param == wanted:
                        found.append((index, adapt))
                        break
                    if (isinstance(param, type(wanted)) and param == wanted
                            and not isinstance(param, bool)):
                        # a typed subclass the backend chose (psycopg's Int4 for an integer
                        # column): the value goes in the same type
                        found.append((index, _as_type(type(param), adapt)))
                        break
            if not found:
                raise ValueError(f"placeholder {name}={value!r} is not among the parameters")
            slots[name] = found
        taken = [index for found in slots.values() for index, _ in found]
        if len(taken) != len(set(taken)):
            raise ValueError("two placeholders share a parameter: choose distinct values")
        query = queryset.query
        names = (list(query.selected) if query.selected else  # as ValuesIterable names them
                 [*query.extra_select, *query.values_select, *query.annotation_select])
        converters = compiler.get_converters([col for col, _, _ in compiler.select])
        return sql, list(params), slots, names, compiler, converters

    def rows(self, **values: Any) -> list[dict[str, Any]]:
        from django.db import connections, router

        if self._model is None:
            self._model = self._build(**self._placeholders).model
        alias = router.db_for_read(self._model)
        compiled = self._compiled.get(alias)
        if compiled is None:
            compiled = self._compiled[alias] = self._compile(alias)
        sql, params, slots, names, compiler, converters = compiled
        params = list(params)
        for name, value in values.items():
            for index, adapt in slots[name]:
                params[index] = adapt(value)
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = compiler.apply_converters(rows, converters)
        return [dict(zip(names, row, strict=True)) for row in rows]


def insert_unless_taken(instance: Model, *, unique: list[str]) -> bool:
    """`INSERT ... ON CONFLICT (unique) DO NOTHING RETURNING id` of one unsaved model instance:
    True with its primary key set, or False and nothing written when a row already holds its
    `unique` fields (which must be a unique constraint's). No savepoint is needed around it to
    carry on after a conflict, and any other constraint still raises. On PostgreSQL a row of
    those fields that another transaction has inserted and not yet committed makes it wait for
    that transaction's end."""
    model = type(instance)
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    values = [field.get_db_prep_save(field.pre_save(instance, add=True), connection)
              for field in fields]
    quote = connection.ops.quote_name
    conflict = ", ".join(quote(model._meta.get_field(name).column) for name in unique)
    sql = (f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 - names from the model
           f"({', '.join(quote(field.column) for field in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))}) "
           f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {quote(model._meta.pk.column)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    instance.pk = row[0]
    instance._state.adding, instance._state.db = False, connection.alias
    return True

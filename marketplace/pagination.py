"""Keyset (cursor) pagination: `?limit=&cursor=` -> `{"items": [...], "next_cursor": ...}`.

The cursor carries the sort values of the last row of a page, signed so that a tampered or
foreign cursor is a 400. It carries no time: the same page always has the same cursor, so a
page's body (and its ETag) does not change from one second to the next. The ordering always
ends in the primary key, so rows that tie on price or date are neither repeated nor skipped,
and no page runs a COUNT(*).
"""

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core import signing
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Q, QuerySet
from ninja import Field, Schema

from marketplace.errors import BadRequest

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
_SALT = "shanhuo.cursor"
_SIGNER = signing.Signer(salt=_SALT)


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page (1-100).")
    cursor: str | None = Field(
        None, max_length=512, description="`next_cursor` of the previous page."
    )


@dataclass
class Page:
    items: list
    next_cursor: str | None


def _encode_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return ["d", str(value)]
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, date):
        return ["D", value.isoformat()]
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 2 and value[0] in {"d", "t", "D"}:
        kind, raw = value
        if kind == "d":
            return Decimal(raw)
        if kind == "t":
            return datetime.fromisoformat(raw)
        return date.fromisoformat(raw)
    if value is None or isinstance(value, (int, str, float, bool)):
        return value
    raise ValueError("bad cursor value")


def _field_names(ordering: list[str]) -> list[tuple[str, bool]]:
    return [(f.lstrip("-"), f.startswith("-")) for f in ordering]


def encode_cursor(row: Any, ordering: list[str], scope: str) -> str:
    """`row`: a model instance or a values() dict."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    values = [_encode_value(get(name)) for name, _ in _field_names(ordering)]
    return _SIGNER.sign_object({"s": scope, "v": values}, compress=True)


# A bigint column holds no more than this; a larger number would fail in the database.
_BIGINT = 2**63 - 1


def _typed(model: type[models.Model], name: str, value: Any) -> Any:
    """`value` as the column `name` of `model` holds it, or ValueError. The signature proves a
    cursor was made by a server with our SECRET_KEY, not that its values fit: with DEBUG's
    public development key anyone can sign one, so each value is checked like any input."""
    if value is None:
        return None
    try:
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    except FieldDoesNotExist:
        raise ValueError(f"no column {name}") from None
    if isinstance(field, (models.DateTimeField, models.DateField)):
        wanted = datetime if isinstance(field, models.DateTimeField) else date
        if not isinstance(value, wanted) or (wanted is datetime and value.tzinfo is None):
            raise ValueError(f"{name} is not a {wanted.__name__} with a time zone")
        return value
    if isinstance(field, models.DecimalField):
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ValueError(f"{name} is not a finite decimal")
        return value
    if isinstance(field, models.IntegerField):
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > _BIGINT:
            raise ValueError(f"{name} is not a whole number")
        return value
    if isinstance(field, (models.CharField, models.TextField)):
        if not isinstance(value, str) or "\x00" in value:
            raise ValueError(f"{name} is not text")
        return value
    return field.to_python(value)


def decode_cursor(cursor: str, ordering: list[str], scope: str,
                  model: type[models.Model] | None = None) -> list[Any]:
    try:
        # payload:signature; an earlier release's payload:time:signature is still honoured
        data = (_SIGNER.unsign_object(cursor) if cursor.count(":") == 1
                else signing.loads(cursor, salt=_SALT))
        if data.get("s") != scope or len(data["v"]) != len(ordering):
            raise ValueError("cursor of another list or ordering")
        values = [_decode_value(v) for v in data["v"]]
        if model is not None:
            values = [_typed(model, name, value)
                      for (name, _), value in zip(_field_names(ordering), values, strict=True)]
        return values
    except (signing.BadSignature, ValueError, TypeError, KeyError, AttributeError,
            InvalidOperation, OverflowError, DjangoValidationError, zlib.error) as exc:
        raise BadRequest("The cursor is not valid for this list.", code="invalid_cursor") from exc


def keyset_after(ordering: list[str], values: list[Any]) -> Q:
    """Rows strictly after `values` in the lexicographic order given by `ordering`."""
    condition = Q(pk__in=[])
    equal_so_far = Q()
    for (name, descending), value in zip(_field_names(ordering), values, strict=True):
        step = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
        condition |= equal_so_far & step
        equal_so_far &= Q(**{name: value})
    return condition


def paginate(
    queryset: QuerySet,
    params: PageParams,
    *,
    ordering: list[str],
    scope: str = "",
) -> Page:
    """One page of `queryset` in `ordering` (which must end with "id" or "-id").

    `scope` ties a cursor to the list and ordering it came from (a cursor from the price-sorted
    list is refused by the date-sorted one).
    """

    def fetch(after: list[Any] | None, count: int) -> list:
        rows = queryset.order_by(*ordering)
        if after is not None:
            rows = rows.filter(keyset_after(ordering, after))
        return list(rows[:count])

    return keyset_page(fetch, queryset.model, params, ordering=ordering, scope=scope)


def keyset_page(
    fetch: Callable[[list[Any] | None, int], list],
    model: type[models.Model],
    params: PageParams,
    *,
    ordering: list[str],
    scope: str = "",
) -> Page:
    """`paginate` for a reader that runs its own query: `fetch(after, count)` returns the first
    `count` rows of `model` in `ordering`, after the sort values `after` (a cursor's) or from
    the start (None)."""
    assert ordering[-1].lstrip("-") in {"id", "pk"}, "ordering must end with the primary key"
    scope = f"{model._meta.label_lower}:{','.join(ordering)}:{scope}"
    after = decode_cursor(params.cursor, ordering, scope, model) if params.cursor else None
    rows = fetch(after, params.limit + 1)
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    next_cursor = encode_cursor(rows[-1], ordering, scope) if has_more and rows else None
    return Page(items=rows, next_cursor=next_cursor)


def page_schema(item_schema: type[Schema], name: str | None = None) -> type[Schema]:
    """The `{"items": [...], "next_cursor": ...}` schema for a list of `item_schema`."""
    name = name or f"{item_schema.__name__.removesuffix('Out')}Page"
    return type(
        name,
        (Schema,),
        {
            "__annotations__": {"items": list[item_schema], "next_cursor": str | None},
            "__module__": item_schema.__module__,
        },
    )

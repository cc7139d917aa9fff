"""Keyset (cursor) pagination: `?limit=&cursor=` -> `{"items": [...], "next_cursor": ...}`.

The cursor carries the sort values of the last row of a page, signed so that a tampered or
foreign cursor is a 400. The ordering always ends in the primary key, so rows that tie on
price or date are neither repeated nor skipped, and no page runs a COUNT(*).
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet
from ninja import Field, Schema

from marketplace.errors import BadRequest

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
_SALT = "shanhuo.cursor"


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
    values = [_encode_value(getattr(row, name)) for name, _ in _field_names(ordering)]
    return signing.dumps({"s": scope, "v": values}, salt=_SALT, compress=True)


def decode_cursor(cursor: str, ordering: list[str], scope: str) -> list[Any]:
    try:
        data = signing.loads(cursor, salt=_SALT)
        if data.get("s") != scope or len(data["v"]) != len(ordering):
            raise ValueError("cursor of another list or ordering")
        return [_decode_value(v) for v in data["v"]]
    except (signing.BadSignature, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise BadRequest("The cursor is not valid for this list.", code="invalid_cursor") from exc


def _after(ordering: list[str], values: list[Any]) -> Q:
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
    assert ordering[-1].lstrip("-") in {"id", "pk"}, "ordering must end with the primary key"
    scope = f"{queryset.model._meta.label_lower}:{','.join(ordering)}:{scope}"
    queryset = queryset.order_by(*ordering)
    if params.cursor:
        queryset = queryset.filter(_after(ordering, decode_cursor(params.cursor, ordering, scope)))
    rows = list(queryset[: params.limit + 1])
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

"""JSON out, fast: orjson with the values written exactly as Django's encoder writes them.

Decimals stay strings ("12.50": money is never a float), datetimes keep Django's shape
(milliseconds, "Z" for UTC), Chinese text is UTF-8. `dumps` serves ninja's renderer and the
views that build their answer themselves (the catalog, a listing, the trace), so both give the
same bytes for the same data.
"""

from datetime import datetime, time
from decimal import Decimal
from typing import Any

import orjson
from django.http import HttpResponse
from django.utils.functional import Promise
from ninja.renderers import BaseRenderer
from pydantic import BaseModel

CONTENT_TYPE = "application/json; charset=utf-8"
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def iso_datetime(value: datetime) -> str:
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    if text.endswith("+00:00"):
        text = text.removesuffix("+00:00") + "Z"
    return text


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return iso_datetime(value)
    if isinstance(value, time):
        text = value.isoformat()
        return text[:12] if value.microsecond else text
    if hasattr(value, "isoformat"):  # date
        return value.isoformat()
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default, option=_OPTIONS)


def json_response(data: Any = None, *, body: bytes | None = None,
                  status: int = 200) -> HttpResponse:
    """A JSON answer the view built itself: not validated again on its way out."""
    return HttpResponse(dumps(data) if body is None else body, status=status,
                        content_type=CONTENT_TYPE)


class OrjsonRenderer(BaseRenderer):
    media_type = "application/json"
    charset = "utf-8"

    def render(self, request, data, *, response_status):
        return dumps(data)

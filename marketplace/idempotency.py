"""`Idempotency-Key` for POSTs that must not happen twice: placing and paying orders, and the
creates a phone retries on a bad network (listings, photos, lots, videos, links).

Same user + same key + same body -> the first response replayed, with `Idempotent-Replayed:
true`. Same key, other body -> 409 `idempotency_key_reused`.

The key row is inserted in the same transaction as the effect. A second request with the same
key blocks on the unique index until the first commits (PostgreSQL) or on the write lock
(SQLite, IMMEDIATE), then finds the stored response and replays it: two concurrent requests
have one effect. Only successful responses are stored; a request that failed changed nothing
and may be retried with the same key.
"""

import contextlib
import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from ninja import Schema, Status
from ninja.responses import NinjaJSONEncoder

from marketplace.errors import BadRequest, Conflict, DomainError
from marketplace.models import IdempotencyKey
from marketplace.sql import insert_unless_taken

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
# what ninja's renderer sends, so that a response with a key looks like one without
CONTENT_TYPE = "application/json; charset=utf-8"


def _valid_key(key: str) -> bool:
    return 1 <= len(key) <= 255 and all(0x20 < ord(c) < 0x7F for c in key)


def _multipart_digest(request: HttpRequest) -> bytes:
    """A multipart body (a photo) is read by the time the view runs: its fields and the bytes
    of its files stand for it."""
    digest = hashlib.sha256()
    for name, value in sorted(request.POST.lists()):
        digest.update(json.dumps([name, value], ensure_ascii=False).encode())
    for name, files in sorted(request.FILES.lists()):
        for upload in files:
            digest.update(name.encode() + b"\0" + upload.name.encode() + b"\0")
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest().encode()


def _request_hash(request: HttpRequest) -> str:
    try:
        body = request.body or b""
    except RawPostDataException:
        body = _multipart_digest(request)
    # the same JSON with other spacing or key order is the same request
    with contextlib.suppress(ValueError):
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode() + body)
    return digest.hexdigest()


def _checked_key(request: HttpRequest) -> str | None:
    key = request.headers.get(HEADER)
    if key is not None and not _valid_key(key):
        raise BadRequest("Idempotency-Key must be 1 to 255 printable ASCII characters.",
                         code="invalid_idempotency_key")
    return key


def _claim(*, user, key: str, request_hash: str) -> tuple[IdempotencyKey, bool]:
    """(the key's row, True if this request created it). A key used before for another request
    is 409 `idempotency_key_reused`. One INSERT ... ON CONFLICT DO NOTHING (no savepoint) for a
    new key; a key seen before is read then."""
    record = IdempotencyKey(user=user, key=key, request_hash=request_hash, status_code=0,
                            response_body={})
    if insert_unless_taken(record, unique=["user", "key"]):
        return record, True
    stored = IdempotencyKey.objects.get(user=user, key=key)
    if stored.request_hash != request_hash:
        raise Conflict("This Idempotency-Key was already used with a different request.",
                       code="idempotency_key_reused")
    return stored, False


def _rendered(result, response_schema: type[Schema], status: int,
              request: HttpRequest) -> tuple[int, Any]:
    """(status, body) of what the view returned, rendered through `response_schema` once and
    with ninja's encoder, as ninja would: times to the millisecond, decimals as strings."""
    if isinstance(result, HttpResponse):  # a view that built its JSON itself (a listing)
        return result.status_code, json.loads(result.content)
    code, obj = (status, result)
    if isinstance(result, Status):
        code, obj = result.status_code, result.value
    context = {"request": request, "response_status": code}
    data = response_schema.model_validate(obj, context=context).model_dump(context=context)
    return code, json.loads(json.dumps(data, cls=NinjaJSONEncoder))


def _response(status: int, body: Any, *, replayed: bool = False) -> JsonResponse:
    """The body as the client gets it, the first time and on every replay alike (ninja passes
    a response through as it is: nothing is validated a second time)."""
    response = JsonResponse(body, status=status, safe=False, content_type=CONTENT_TYPE,
                            json_dumps_params={"ensure_ascii": False})
    if replayed:
        response[REPLAY_HEADER] = "true"
    return response


def _run_once(view: Callable, request: HttpRequest, args, kwargs, *, key: str,
              response_schema: type[Schema], status: int) -> JsonResponse:
    with transaction.atomic():
        record, created = _claim(user=request.auth, key=key, request_hash=_request_hash(request))
        if not created:
            return _response(record.status_code, record.response_body, replayed=True)
        code, body = _rendered(view(request, *args, **kwargs), response_schema, status, request)
        record.status_code, record.response_body = code, body
        record.save(update_fields=["status_code", "response_body"])
    return _response(code, body)


def _run_and_render(view: Callable, request: HttpRequest, args, kwargs, *,
                    response_schema: type[Schema], status: int) -> JsonResponse:
    """The view and the rendering of its answer in one transaction: once committed, the answer
    is already made from what was written, so a commit is never followed by an error (a read
    back that fails rolls the write back with it). A domain error the view raises is its own
    answer: what the view kept before raising (its inner transactions that completed, such as
    a payment attempt it records) is committed as it would be without this wrapper."""
    refused = None
    with transaction.atomic():
        try:
            result = view(request, *args, **kwargs)
        except DomainError as exc:
            refused = exc
        else:
            code, body = _rendered(result, response_schema, status, request)
    if refused is not None:
        raise refused
    return _response(code, body)


def idempotent(response_schema: type[Schema], status: int = 200) -> Callable:
    """Make a ninja POST view honour `Idempotency-Key`. The view returns `response_schema`'s
    source object (or `Status(code, obj)`); the client gets a JsonResponse of the rendered
    body, which with a key is what is stored and replayed. With or without a key, the view and
    the rendering of its answer are one transaction: the answer of a committed order is never
    an error from reading it back."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            key = _checked_key(request)
            if key is None:
                return _run_and_render(view, request, args, kwargs,
                                       response_schema=response_schema, status=status)
            return _run_once(view, request, args, kwargs, key=key,
                             response_schema=response_schema, status=status)

        # the OpenAPI document declares the header on this operation (shanhuo.openapi)
        wrapper.honours_idempotency_key = True
        return wrapper

    return decorator

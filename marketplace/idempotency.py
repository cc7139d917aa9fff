"""`Idempotency-Key` for POSTs that must not happen twice (placing and paying orders).

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

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from ninja import Schema, Status
from ninja.responses import NinjaJSONEncoder

from marketplace.errors import BadRequest, Conflict
from marketplace.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"


def _valid_key(key: str) -> bool:
    return 1 <= len(key) <= 255 and all(0x20 < ord(c) < 0x7F for c in key)


def _request_hash(request: HttpRequest) -> str:
    body = request.body or b""
    # the same JSON with other spacing or key order is the same request
    with contextlib.suppress(ValueError):
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode() + body)
    return digest.hexdigest()


def _replay(stored: IdempotencyKey) -> JsonResponse:
    response = JsonResponse(stored.response_body, status=stored.status_code, safe=False,
                            json_dumps_params={"ensure_ascii": False})
    response[REPLAY_HEADER] = "true"
    return response


def idempotent(response_schema: type[Schema], status: int = 200) -> Callable:
    """Make a ninja POST view honour `Idempotency-Key`. The view returns `response_schema`'s
    source object (or `Status(code, obj)`); the rendered body is what is stored and replayed."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            key = request.headers.get(HEADER)
            if key is None:
                return view(request, *args, **kwargs)
            if not _valid_key(key):
                raise BadRequest(
                    "Idempotency-Key must be 1 to 255 printable ASCII characters.",
                    code="invalid_idempotency_key",
                )
            request_hash = _request_hash(request)
            user = request.auth
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        record = IdempotencyKey.objects.create(
                            user=user, key=key, request_hash=request_hash,
                            status_code=0, response_body={},
                        )
                except IntegrityError:
                    stored = IdempotencyKey.objects.get(user=user, key=key)
                    if stored.request_hash != request_hash:
                        raise Conflict(
                            "This Idempotency-Key was already used with a different request.",
                            code="idempotency_key_reused",
                        ) from None
                    return _replay(stored)
                result = view(request, *args, **kwargs)
                if isinstance(result, Status):
                    code, obj = result.status_code, result.value
                else:
                    code, obj = status, result
                context = {"request": request, "response_status": code}
                # rendered with ninja's encoder, as the first response is: a replay is identical
                # to the byte (times to the millisecond, decimals as strings)
                body = json.loads(json.dumps(
                    response_schema.model_validate(obj, context=context).model_dump(
                        context=context
                    ),
                    cls=NinjaJSONEncoder,
                ))
                record.status_code = code
                record.response_body = body
                record.save(update_fields=["status_code", "response_body"])
            return Status(code, body)

        return wrapper

    return decorator

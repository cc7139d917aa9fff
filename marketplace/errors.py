"""The error envelope of API.md, and the domain errors services raise.

    {"error": {"code": "snake_case", "message": "...", "details": ...}}

Services raise a `DomainError`; the handlers below (registered on the one NinjaAPI by
shanhuo.api) and the middleware and URL handlers outside ninja render every error with
`error_response`. No handler builds an error body by hand. This module imports nothing of the
project, so anything may import it without a cycle.
"""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.errors import Throttled as NinjaThrottled

logger = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


def error_response(status: int, code: str, message: str, details=None) -> JsonResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


class DomainError(Exception):
    status = 400
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, code: str | None = None, details: Any = None):
        self.message = message or self.message
        self.code = code or self.code
        self.details = details
        super().__init__(self.message)


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"
    message = "Authentication credentials were missing or invalid."


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
    message = "You are not allowed to do this."


class NotFound(DomainError):
    status = 404
    code = "not_found"
    message = "Not found."


class Conflict(DomainError):
    status = 409
    code = "conflict"
    message = "The request conflicts with the current state."


class InvalidState(Conflict):
    code = "invalid_state"
    message = "This action is not possible in the object's current state."


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    message = "Not enough stock for one or more listings."


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"
    message = "The upload is too large."


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"
    message = "The upload is not of a supported type."


class ValidationFailed(DomainError):
    """422 with `details` = [{"field": ..., "message": ...}, ...]."""

    status = 422
    code = "validation_error"
    message = "Some fields are invalid."

    def __init__(self, errors: dict[str, str] | list[dict], *, code: str | None = None,
                 message: str | None = None):
        if isinstance(errors, dict):
            errors = [{"field": f, "message": m} for f, m in errors.items()]
        super().__init__(message, code=code, details=errors)


class Throttled(DomainError):
    """429 with `Retry-After`: seconds until the limit lets the caller through again."""

    status = 429
    code = "throttled"
    message = "Too many requests. Try again later."

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 details: Any = None, retry_after: int = 60):
        self.retry_after = retry_after
        super().__init__(message, code=code, details=details)


class ServiceUnavailable(DomainError):
    """503 with `Retry-After` (header, and `details.retry_after` in seconds): a dependency (the
    database, file storage) is not answering; nothing was changed, the same request may be sent
    again."""

    status = 503
    code = "service_unavailable"
    message = "The service is briefly unavailable. Try again shortly."
    retry_after = 5

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 retry_after: int | None = None):
        self.retry_after = retry_after or self.retry_after
        super().__init__(message, code=code, details={"retry_after": self.retry_after})


class StorageUnavailable(ServiceUnavailable):
    code = "storage_unavailable"
    message = "Files cannot be stored right now. Try again shortly."


# --- Rendering: one handler per kind of exception --------------------------------------------


def domain_error_response(exc: DomainError) -> JsonResponse:
    if isinstance(exc, ServiceUnavailable):
        return unavailable_response(exc)
    response = error_response(exc.status, exc.code, exc.message, exc.details)
    if isinstance(exc, Throttled):
        response["Retry-After"] = str(max(1, int(exc.retry_after)))
    return response


def _field_of(loc: list) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "form", "file", "header", "cookie"}:
        source, parts = parts[0], parts[1:]
        # body fields are nested under the payload parameter's name
        if source in {"body", "form"} and len(parts) > 1:
            parts = parts[1:]
    return ".".join(parts) or "body"


def on_domain_error(request: HttpRequest, exc: DomainError) -> JsonResponse:
    return domain_error_response(exc)


def unavailable_response(exc: ServiceUnavailable) -> JsonResponse:
    response = error_response(exc.status, exc.code, exc.message, exc.details)
    response["Retry-After"] = str(exc.retry_after)
    return response


def on_database_unavailable(request: HttpRequest, exc: Exception) -> JsonResponse:
    """The database refused, dropped or timed out the connection: 503 with Retry-After, not a
    500. What the request had written is rolled back (one transaction per write), so sending it
    again is safe."""
    logger.warning("Database unavailable on %s %s: %s", request.method, request.path, exc)
    return unavailable_response(ServiceUnavailable(
        "The database is not answering. Nothing was changed; try again shortly."))


def on_validation_error(request: HttpRequest, exc: ValidationError) -> JsonResponse:
    details = [{"field": _field_of(e.get("loc", [])), "message": e.get("msg", "Invalid value.")}
               for e in exc.errors]
    return error_response(422, "validation_error", "Some fields are invalid.", details)


def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> JsonResponse:
    response = error_response(401, "not_authenticated", "A valid bearer token is required.")
    response["WWW-Authenticate"] = "Bearer"
    return response


def on_throttled(request: HttpRequest, exc: NinjaThrottled) -> JsonResponse:
    response = error_response(429, "throttled", "Too many requests. Try again later.")
    response["Retry-After"] = str(max(1, int(exc.wait or 1)))
    return response


def on_http_error(request: HttpRequest, exc: HttpError) -> JsonResponse:
    if isinstance(exc.__cause__, DomainError):  # raised inside ninja's body parsing
        return domain_error_response(exc.__cause__)
    code = HTTP_CODES.get(exc.status_code, "error")
    return error_response(exc.status_code, code, str(exc))


def on_not_found(request: HttpRequest, exc: Http404) -> JsonResponse:
    return error_response(404, "not_found", "Not found.")


def on_request_too_big(request: HttpRequest, exc: RequestDataTooBig) -> JsonResponse:
    # A JSON body over DATA_UPLOAD_MAX_MEMORY_SIZE: the client's fault, not ours.
    return error_response(413, "payload_too_large", "The request body is too large.")


def on_bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> JsonResponse:
    # A multipart Content-Type without a (valid) boundary, or a body that does not follow it.
    return error_response(400, "malformed_request", f"The multipart body cannot be read: {exc}")


def on_suspicious_request(request: HttpRequest, exc: SuspiciousOperation) -> JsonResponse:
    # Django's own refusals of a request (too many fields or files, a bad header): the client's.
    return error_response(400, "malformed_request", "The request was refused as malformed.")


def on_unexpected(request: HttpRequest, exc: Exception) -> JsonResponse:
    logger.exception("Unhandled error on %s %s", request.method, request.path)
    if settings.DEBUG and getattr(settings, "DEBUG_PROPAGATE_EXCEPTIONS", False):
        raise exc
    return error_response(500, "internal_error", "Something went wrong on our side.")


# What shanhuo.api registers, in this order.
HANDLERS = (
    (DomainError, on_domain_error),
    (OperationalError, on_database_unavailable),
    (InterfaceError, on_database_unavailable),
    (ValidationError, on_validation_error),
    (AuthenticationError, on_auth_error),
    (NinjaThrottled, on_throttled),
    (HttpError, on_http_error),
    (Http404, on_not_found),
    (RequestDataTooBig, on_request_too_big),
    (MultiPartParserError, on_bad_multipart),
    (SuspiciousOperation, on_suspicious_request),
    (Exception, on_unexpected),
)

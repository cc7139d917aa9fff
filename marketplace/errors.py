"""Domain errors. Services raise these; one handler in marketplace.api renders the envelope

    {"error": {"code": "snake_case", "message": "...", "details": ...}}

No handler builds an error body by hand.
"""

from typing import Any


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
    status = 429
    code = "throttled"
    message = "Too many requests. Try again later."

"""Errors produced outside ninja's exception handlers, put in the API's error envelope."""

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from marketplace.errors import error_response, on_database_unavailable


class ApiErrorEnvelopeMiddleware:
    """A 405 from the URL dispatcher (a known path, another method) carries no body; an API
    client still gets the envelope, and the `Allow` header is kept. A page outside the API
    (trace pages, share links, the admin) whose database is away answers 503 with Retry-After,
    not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and request.path.startswith("/api/"):
            enveloped = error_response(
                405, "method_not_allowed", f"{request.method} is not allowed here."
            )
            if response.has_header("Allow"):
                enveloped["Allow"] = response["Allow"]
            return enveloped
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, OperationalError | InterfaceError):
            return on_database_unavailable(request, exc)
        return None

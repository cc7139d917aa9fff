"""Errors produced outside ninja's exception handlers, put in the API's error envelope."""

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

from marketplace.errors import error_response, on_database_unavailable


class ApiErrorEnvelopeMiddleware:
    """A 405 from the URL dispatcher (a known path, another method) carries no body; an API
    client still gets the envelope, and the `Allow` header is kept. An unknown /api/ path is
    the envelope's 404 also under DEBUG (`make run`), where Django answers its HTML debug page
    instead of calling handler404. A page outside the API (trace pages, share links, the
    admin) whose database is away answers 503 with Retry-After, not a 500."""

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
        if (response.status_code == 404 and request.path.startswith("/api/")
                and not response.get("Content-Type", "").startswith("application/json")):
            return error_response(404, "not_found", "No such endpoint.")
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, OperationalError | InterfaceError):
            return on_database_unavailable(request, exc)
        return None

class PrivateWhenSignedInMiddleware:
    """An answer to a signed-in request (a bearer token, or the admin's session cookie) is that
    person's: `Cache-Control: private` keeps shared caches (a proxy, a CDN, a carrier's
    gateway) from storing it and serving it to someone else, and `Vary: Authorization` keeps a
    cache from answering one token's request with another's. Decided from the request's
    headers alone: no session or database read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "HTTP_AUTHORIZATION" in request.META or \
                settings.SESSION_COOKIE_NAME in request.COOKIES:
            patch_cache_control(response, private=True)
            if "HTTP_AUTHORIZATION" in request.META:
                patch_vary_headers(response, ["Authorization"])
        return response

"""The one NinjaAPI, mounted at /api/v1, and the one place errors become the envelope."""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from ninja import NinjaAPI, Status
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.renderers import JSONRenderer

from marketplace.errors import DomainError
from marketplace.schemas import ErrorOut, HealthOut
from marketplace.selectors import broker_status, database_status

logger = logging.getLogger(__name__)


class Utf8JSONRenderer(JSONRenderer):
    """Chinese text as UTF-8, not \\u escapes: a third fewer bytes on a rural network.
    Decimals stay strings (ninja's encoder), so money is never a float."""

    json_dumps_params = {"ensure_ascii": False}


class EnvelopeDocumentedAPI(NinjaAPI):
    """The OpenAPI document says what every 4xx answer is: the error envelope (`ErrorOut`), so
    that clients and schema checkers (schemathesis in tests/whole_site) can rely on it."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        error = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(error.pop("$defs", {}))
        components["ErrorOut"] = error
        response = {
            "description": "An error (400, 401, 403, 404, 405, 409, 413, 415, 422 or 429) in "
                           'the envelope `{"error": {"code", "message", "details"}}`.',
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
        }
        for path_item in schema["paths"].values():
            for operation in path_item.values():
                if isinstance(operation, dict) and "responses" in operation:
                    operation["responses"].setdefault("4XX", response)
        return schema


api = EnvelopeDocumentedAPI(
    renderer=Utf8JSONRenderer(),
    title="Shanhuo (山货) marketplace API",
    version="1.0.0",
    description=(
        "Farm goods with their provenance: producers list goods and harvest lots, buyers order "
        "from several farms at once, promoters link short videos. Errors are always "
        '`{"error": {"code", "message", "details"}}`.'
    ),
    urls_namespace="api",
)

_HTTP_CODES = {
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


def _field_of(loc: list) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "form", "file", "header", "cookie"}:
        source, parts = parts[0], parts[1:]
        # body fields are nested under the payload parameter's name
        if source in {"body", "form"} and len(parts) > 1:
            parts = parts[1:]
    return ".".join(parts) or "body"


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError):
    return error_response(exc.status, exc.code, exc.message, exc.details)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError):
    details = [{"field": _field_of(e.get("loc", [])), "message": e.get("msg", "Invalid value.")}
               for e in exc.errors]
    return error_response(422, "validation_error", "Some fields are invalid.", details)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError):
    response = error_response(401, "not_authenticated", "A valid bearer token is required.")
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Throttled)
def on_throttled(request: HttpRequest, exc: Throttled):
    response = error_response(429, "throttled", "Too many requests. Try again later.")
    response["Retry-After"] = str(max(1, int(exc.wait or 1)))
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError):
    code = _HTTP_CODES.get(exc.status_code, "error")
    return error_response(exc.status_code, code, str(exc))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404):
    return error_response(404, "not_found", "Not found.")


@api.exception_handler(RequestDataTooBig)
def on_request_too_big(request: HttpRequest, exc: RequestDataTooBig):
    # A JSON body over DATA_UPLOAD_MAX_MEMORY_SIZE: the client's fault, not ours.
    return error_response(413, "payload_too_large", "The request body is too large.")


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception):
    logger.exception("Unhandled error on %s %s", request.method, request.path)
    if settings.DEBUG and getattr(settings, "DEBUG_PROPAGATE_EXCEPTIONS", False):
        raise exc
    return error_response(500, "internal_error", "Something went wrong on our side.")


@api.get("/health", response={200: HealthOut, 503: HealthOut}, tags=["platform"])
def health(request: HttpRequest):
    """200 while the database answers; 503 (so a load balancer stops sending) when it does not.
    A broker that is down is reported but still 200: orders and the catalog work without it."""
    database = database_status()
    body = {
        "status": "ok" if database == "ok" else "down",
        "database": database,
        "broker": broker_status(),
    }
    return Status(200 if database == "ok" else 503, body)


def _register_routers() -> None:
    from accounts.api import router as accounts_router
    from orders.api import router as orders_router
    from producers.api import router as producers_router
    from promotion.api import router as promotion_router
    from reports.api import router as reports_router

    api.add_router("", accounts_router)
    api.add_router("", producers_router)
    api.add_router("", orders_router)
    api.add_router("", promotion_router)
    api.add_router("", reports_router)


_register_routers()

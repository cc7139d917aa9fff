"""The one NinjaAPI, mounted at /api/v1: wiring only. Its routers live in the apps, its error
handlers in marketplace.errors; nothing imports this module but the URL configuration."""

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from accounts.api import router as accounts_router
from books.api import router as books_router
from marketplace import errors
from marketplace.health_api import router as health_router
from marketplace.parsing import MediaTypeParser
from marketplace.schemas import ErrorOut
from orders.api import router as orders_router
from producers.api import router as producers_router
from promotion.api import router as promotion_router
from reports.api import router as reports_router


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
            "description": "An error (400, 401, 403, 404, 405, 409, 413, 415, 422, 429 or 503) in "
                           'the envelope `{"error": {"code", "message", "details"}}`.',
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
        }
        for path_item in schema["paths"].values():
            for operation in path_item.values():
                if isinstance(operation, dict) and "responses" in operation:
                    operation["responses"].setdefault("4XX", response)
                    operation["responses"].setdefault("503", response)
        return schema


api = EnvelopeDocumentedAPI(
    renderer=Utf8JSONRenderer(),
    parser=MediaTypeParser(),
    title="Shanhuo (山货) marketplace API",
    version="1.0.0",
    description=(
        "Farm goods with their provenance: producers list goods and harvest lots, buyers order "
        "from several farms at once, promoters link short videos. Errors are always "
        '`{"error": {"code", "message", "details"}}`.'
    ),
    urls_namespace="api",
)

for exception_class, handler in errors.HANDLERS:
    api.add_exception_handler(exception_class, handler)

api.add_router("", health_router)
api.add_router("", accounts_router)
api.add_router("", producers_router)
api.add_router("", orders_router)
api.add_router("", promotion_router)
api.add_router("", reports_router)
api.add_router("", books_router)

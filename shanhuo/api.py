"""The one NinjaAPI, mounted at /api/v1: wiring only. Its routers live in the apps, its error
handlers in marketplace.errors; nothing imports this module but the URL configuration."""

from ninja import NinjaAPI, Swagger

from accounts.api import router as accounts_router
from accounts.auth import bearer
from benefit.api import router as benefit_router
from books.api import router as books_router
from certificates.api import router as certificates_router
from checkout.api import router as checkout_router
from claims.api import router as claims_router
from marketplace import errors
from marketplace.parsing import MediaTypeParser
from marketplace.renderers import OrjsonRenderer
from notify.api import router as notify_router
from orders.api import router as orders_router
from payments.api import router as payments_router
from producers.api import router as producers_router
from promotion.api import router as promotion_router
from reports.api import router as reports_router
from shanhuo import openapi
from shanhuo.health import router as health_router
from storefront.api import router as storefront_router


class DocumentedAPI(NinjaAPI):
    """operationIds are the views' names (`listing_list`); the document is finished by
    shanhuo.openapi for every operation alike (security, errors, headers, names)."""

    def get_openapi_operation_id(self, operation) -> str:
        name = operation.view_func.__name__
        self._documented_operations[name] = operation
        return name

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        self._documented_operations = {}
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return openapi.document(schema, self._documented_operations)


api = DocumentedAPI(
    renderer=OrjsonRenderer(),
    parser=MediaTypeParser(),
    title="Shanhuo (山货) marketplace API",
    version="1.0.0",
    description=(
        "Farm goods with their provenance: producers list goods and harvest lots, buyers order "
        "from several farms at once, promoters link short videos. Errors are always "
        '`{"error": {"code", "message", "details"}}`.'
    ),
    urls_namespace="api",
    # ninja's own copy of Swagger UI (its static files, served by shanhuo.urls), and no
    # badge from the public validator: nothing in the docs page loads from another host
    docs=Swagger(settings={"validatorUrl": None}),
)

for exception_class, handler in errors.HANDLERS:
    api.add_exception_handler(exception_class, handler)

api.add_router("", health_router)
api.add_router("", accounts_router)
# notify sits below accounts: its routes get the bearer token here, where both are known
api.add_router("", notify_router, auth=bearer)
api.add_router("", producers_router)
api.add_router("", storefront_router)
api.add_router("", orders_router)
api.add_router("", checkout_router)
api.add_router("", payments_router)
api.add_router("", promotion_router)
api.add_router("", reports_router)
api.add_router("", books_router)
api.add_router("", benefit_router)
api.add_router("", claims_router)
api.add_router("", certificates_router)

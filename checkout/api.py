"""The routes that move an order through its life: placing, paying, cancelling and a pre-sale's
harvest. Each calls one function of checkout.services and answers with the order as its reader
sees it (orders.selectors). GET /orders sits here beside POST /orders: ninja serves one path
from one router."""

from django.http import HttpRequest
from ninja import Query, Router, Status

from accounts.auth import bearer
from checkout import services
from marketplace.idempotency import idempotent
from marketplace.pagination import PageParams, page_schema
from marketplace.schemas import PathId
from marketplace.visitors import client_address
from orders import selectors as order_selectors
from orders.schemas import HarvestIn, HarvestOut, OrderIn, OrderOut, OrderQuery, PayIn
from producers.selectors import listing_owned
from promotion.attribution import COOKIE as VISIT_COOKIE

# The API's sections stay as clients' generated code knows them: these are orders' routes,
# and paying is the payments' (its operation says so).
router = Router(tags=["orders"])


@router.post("/orders", response={201: OrderOut}, auth=bearer)
@idempotent(OrderOut, status=201)
def order_place(request: HttpRequest, payload: OrderIn):
    """Order from one or more farms. Stock is taken at once; short -> 409 insufficient_stock
    with what is available. Shipping: one parcel per farm, priced by its listings' freight
    templates to the shipping region (a county or below), the highest when they name several;
    listings on none: `SHIPPING_FEE_FLAT`, free from `SHIPPING_FREE_THRESHOLD`. It charges what
    POST /orders/quote said. A line to a region its template does not serve: 422
    `region_not_served`, nothing taken. Honours `Idempotency-Key`."""
    order = services.order_place(
        buyer=request.auth,
        lines=[line.dict() for line in payload.lines],
        shipping_address=payload.shipping_address.dict(),
        promo_code=payload.promo_code or "",
        promo_visit=payload.promo_visit or request.COOKIES.get(VISIT_COOKIE, ""),
        note=payload.note or "",
    )
    return Status(201, order_selectors.order_as_placed(order=order))


@router.get("/orders", response=page_schema(OrderOut), auth=bearer)
def order_list(request: HttpRequest, query: Query[OrderQuery], params: Query[PageParams]):
    """The caller's orders (as the buyer, or as a farm with a parcel in them), newest first; a
    cursor page."""
    page = order_selectors.order_list(
        user=request.auth, role=query.role, filters={"status": query.status}, params=params
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/orders/{order_id}/cancel", response=OrderOut, auth=bearer)
def order_cancel(request: HttpRequest, order_id: PathId):
    """The buyer cancels before anything shipped: stock back, refund if paid."""
    services.order_cancel(order_id=order_id, user=request.auth)
    return order_selectors.order_get(user=request.auth, order_id=order_id)


@router.post("/orders/{order_id}/pay", response=OrderOut, auth=bearer, tags=["payments"])
@idempotent(OrderOut)
def order_pay(request: HttpRequest, order_id: PathId, payload: PayIn):
    """Pay the order (the buyer). The sandbox settles at once; WeChat Pay and Alipay answer
    with `payment.action`, and the order is `paid` when the platform reports the money taken.
    Cancelled or past its payment window -> 409 invalid_state; a method not enabled -> 409
    payment_method_unavailable; the platform unreachable -> 503. Honours `Idempotency-Key`."""
    services.order_pay(order_id=order_id, user=request.auth, method=payload.method,
                       openid=payload.openid or "", client_ip=client_address(request))
    return order_selectors.order_get(user=request.auth, order_id=order_id)


@router.post("/listings/{listing_id}/harvest", response=HarvestOut, auth=bearer)
def listing_harvest(request: HttpRequest, listing_id: PathId, payload: HarvestIn):
    """The owner records a closed pre-sale's harvest: paid lines are filled up to it (by
    `policy`), the rest is refunded at once, orders left with nothing are cancelled and every
    buyer is told. Again with the same quantity: the same answer; with another: 409
    `harvest_recorded`. Before the close: 409 `presale_open`. Someone else's listing: 404."""
    listing = listing_owned(user=request.auth, listing_id=listing_id)
    return services.harvest_record(listing=listing, user=request.auth, **payload.dict())

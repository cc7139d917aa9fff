from django.http import HttpRequest
from ninja import Query, Router, Status

from accounts.auth import bearer
from marketplace.idempotency import idempotent
from marketplace.pagination import PageParams, page_schema
from marketplace.schemas import PathId
from orders import harvest, selectors, services
from orders.schemas import (
    HarvestIn,
    HarvestOut,
    OrderIn,
    OrderOut,
    OrderQuery,
    ShipIn,
    ShipmentOut,
    ShipmentQuery,
)
from producers.selectors import listing_owned
from promotion.attribution import COOKIE as VISIT_COOKIE

router = Router(tags=["orders"])


@router.post("/orders", response={201: OrderOut}, auth=bearer)
@idempotent(OrderOut, status=201)
def order_place(request: HttpRequest, payload: OrderIn):
    """Order from one or more farms. Stock is taken at once; short -> 409 insufficient_stock
    with what is available. Shipping: per farm, `SHIPPING_FEE_FLAT`, free from
    `SHIPPING_FREE_THRESHOLD`. Honours `Idempotency-Key`."""
    order = services.order_place(
        buyer=request.auth,
        lines=[line.dict() for line in payload.lines],
        shipping_address=payload.shipping_address.dict(),
        promo_code=payload.promo_code or "",
        promo_visit=payload.promo_visit or request.COOKIES.get(VISIT_COOKIE, ""),
        note=payload.note or "",
    )
    return Status(201, selectors.order_as_placed(order=order))


@router.get("/orders", response=page_schema(OrderOut), auth=bearer)
def order_list(request: HttpRequest, query: Query[OrderQuery], params: Query[PageParams]):
    """The caller's orders (as the buyer, or as a farm with a parcel in them), newest first; a
    cursor page."""
    page = selectors.order_list(
        user=request.auth, role=query.role, filters={"status": query.status}, params=params
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/orders/{order_id}", response=OrderOut, auth=bearer)
def order_detail(request: HttpRequest, order_id: PathId):
    """One order, for its buyer or a farm with a parcel in it; anyone else 404."""
    return selectors.order_get(user=request.auth, order_id=order_id)


@router.post("/orders/{order_id}/cancel", response=OrderOut, auth=bearer)
def order_cancel(request: HttpRequest, order_id: PathId):
    """The buyer cancels before anything shipped: stock back, refund if paid."""
    services.order_cancel(order_id=order_id, user=request.auth)
    return selectors.order_get(user=request.auth, order_id=order_id)


@router.get("/shipments", response=page_schema(ShipmentOut), auth=bearer)
def shipment_list(request: HttpRequest, query: Query[ShipmentQuery], params: Query[PageParams]):
    """A producer's own parcels, newest first."""
    page = selectors.shipment_list(
        user=request.auth, filters={"status": query.status}, params=params
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/shipments/{shipment_id}/ship", response=ShipmentOut, auth=bearer)
def shipment_ship(request: HttpRequest, shipment_id: PathId, payload: ShipIn):
    """The producer ships a parcel of a paid order."""
    services.shipment_ship(shipment_id=shipment_id, user=request.auth, **payload.dict())
    return selectors.shipment_get(shipment_id=shipment_id)


@router.post("/shipments/{shipment_id}/confirm", response=ShipmentOut, auth=bearer)
def shipment_confirm(request: HttpRequest, shipment_id: PathId):
    """The buyer confirms a parcel arrived."""
    services.shipment_confirm(shipment_id=shipment_id, user=request.auth)
    return selectors.shipment_get(shipment_id=shipment_id)


@router.post("/listings/{listing_id}/harvest", response=HarvestOut, auth=bearer)
def listing_harvest(request: HttpRequest, listing_id: PathId, payload: HarvestIn):
    """The owner records a closed pre-sale's harvest: paid lines are filled up to it (by
    `policy`), the rest is refunded at once, orders left with nothing are cancelled and every
    buyer is told. Again with the same quantity: the same answer; with another: 409
    `harvest_recorded`. Before the close: 409 `presale_open`. Someone else's listing: 404."""
    listing = listing_owned(user=request.auth, listing_id=listing_id)
    return harvest.harvest_record(listing=listing, user=request.auth, **payload.dict())

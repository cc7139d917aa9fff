from django.http import HttpRequest
from ninja import Query, Router

from accounts.auth import bearer, caller, optional_bearer
from marketplace.pagination import PageParams, page_schema
from marketplace.schemas import PathId
from orders import selectors, services
from orders.schemas import (
    OrderIn,
    OrderOut,
    QuoteOut,
    ShipIn,
    ShipmentOut,
    ShipmentQuery,
)
from producers import selectors as producer_selectors
from producers import services as producer_services
from producers.schemas import MemberSalesOut, MemberSalesQuery

router = Router(tags=["orders"])


@router.get("/producers/me/members/{member_id}/sales", response=MemberSalesOut, auth=bearer,
            tags=["producers"])
def member_sales(request: HttpRequest, member_id: PathId, query: Query[MemberSalesQuery]):
    """What shipped from the member's lots in the period (by the day each parcel shipped), per
    lot and in total: units and their amount. A period over 366 days or ending before it
    starts: 422."""
    producer = producer_selectors.producer_for_user(request.auth)
    producer_services.cooperative_check(producer)
    member = producer_selectors.member_owned(producer=producer, member_id=member_id)
    return selectors.member_sales(member=member, start=query.period_start,
                                  end=query.period_end)


@router.post("/orders/quote", response=QuoteOut, auth=optional_bearer)
def order_quote(request: HttpRequest, payload: OrderIn):
    """What POST /orders with this body will charge, without placing it: each farm's goods and
    its parcel's shipping fee (the freight templates of its listings, to the shipping region;
    the flat fee for listings on none), and the sums. The same checks as the order: a line to a
    region a template does not serve is 422 `region_not_served` naming it; a shipping region
    above a county is 422; too little stock 409. Anyone may ask; signed in, one's own listings
    are refused as the order refuses them."""
    return selectors.order_quote(buyer=caller(request),
                                 lines=[line.dict() for line in payload.lines],
                                 shipping_address=payload.shipping_address.dict())


@router.get("/orders/{order_id}", response=OrderOut, auth=bearer)
def order_detail(request: HttpRequest, order_id: PathId):
    """One order, for its buyer or a farm with a parcel in it; anyone else 404."""
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

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from marketplace.schemas import CURRENCY, MAX_ID, TEXT, example
from orders.carriers import tracking_url
from orders.privacy import address_for

OrderStatus = Literal["pending_payment", "paid", "shipped", "completed", "cancelled"]
ShipmentStatus = Literal["pending", "shipped", "delivered", "cancelled"]
CarrierCode = Literal["SF", "ZTO", "YTO", "STO", "YD", "JD", "EMS", "YZPY", "other"]

class AddressIn(Schema):
    recipient: str = Field(..., min_length=1, max_length=64, pattern=TEXT)
    phone: str = Field(..., min_length=5, max_length=32, pattern=r"^\+?[0-9][0-9 -]{3,30}$")
    region_id: int = Field(..., strict=True, ge=1, le=MAX_ID)
    detail: str = Field(..., min_length=1, max_length=255, pattern=TEXT)


class LineIn(Schema):
    listing_id: int = Field(..., strict=True, ge=1, le=MAX_ID)
    quantity: int = Field(
        ..., strict=True, ge=1, description="Whole units, 1 to ORDER_MAX_QUANTITY."
    )


class OrderIn(Schema):
    model_config = example(
        {"lines": [{"listing_id": 14, "quantity": 2}],
         "shipping_address": {"recipient": "李四",
                              "phone": "13900000000",
                              "region_id": 5,
                              "detail": "幸福路 1 号"},
         "promo_code": "AbC123xy",
         "note": "请周末送达"}
    )
    lines: list[LineIn] = Field(..., min_length=1, max_length=50)
    shipping_address: AddressIn
    promo_code: str | None = Field(None, max_length=32, pattern=TEXT)
    promo_visit: str | None = Field(
        None, max_length=512, pattern=TEXT,
        description="The `visit` the share link /p/{code} handed over (on the landing URL): "
                    "the promoter is credited only for an order that follows a click.")
    note: str | None = Field(None, max_length=500, pattern=TEXT)


class QuoteShipmentOut(Schema):
    producer_id: int
    subtotal: Decimal = Field(..., description="The farm's goods in the order.")
    shipping_fee: Decimal = Field(
        ..., description="Its parcel's fee: from the freight templates of its listings to the "
                         "shipping region, or the flat fee for listings on none.")


class QuoteOut(Schema):
    """What POST /orders with the same body will charge, parcel by parcel."""

    shipments: list[QuoteShipmentOut]
    subtotal: Decimal
    shipping_fee: Decimal
    total: Decimal
    currency: str = CURRENCY


PaymentMethod = Literal["wechat_jsapi", "wechat_h5", "wechat_native", "alipay_wap",
                        "alipay_app", "sandbox"]


class PayIn(Schema):
    model_config = example(
        {"method": "wechat_jsapi", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}
    )
    method: PaymentMethod = Field(
        "sandbox",
        description="`wechat_jsapi` (inside WeChat, needs `openid`), `wechat_h5` (a mobile "
                    "browser), `wechat_native` (a QR code), `alipay_wap` (a mobile browser), "
                    "`alipay_app` (the Alipay SDK in an app), `sandbox` (development only). A "
                    "method this server has not enabled -> 409 payment_method_unavailable.",
    )
    openid: str | None = Field(
        None, min_length=1, max_length=128, pattern=r"^[0-9A-Za-z_-]+$",
        description="The buyer's openid under the merchant's WeChat appid (wechat_jsapi).",
    )


class LotIn(Schema):
    line_id: int = Field(..., strict=True, ge=1, le=MAX_ID)
    batch_id: int = Field(..., strict=True, ge=1, le=MAX_ID,
                          description="A harvest lot of the line's listing.")
    quantity: int = Field(..., strict=True, ge=1, le=2_000_000_000)


class ShipIn(Schema):
    model_config = example(
        {"carrier": "顺丰", "tracking_number": "SF1234567890123",
         "lots": [{"line_id": 31, "batch_id": 7, "quantity": 2}]}
    )
    carrier: str = Field(
        "", max_length=64, pattern=TEXT,
        description="The courier as the farm names it (free text); a known name such as 顺丰 "
                    "or 中通快递 sets `carrier_code`. One of carrier and carrier_code is needed.")
    carrier_code: CarrierCode | None = Field(
        None, description="SF 顺丰, ZTO 中通, YTO 圆通, STO 申通, YD 韵达, JD 京东, EMS, YZPY "
                          "邮政快递包裹, or other (then `carrier` names it).")
    tracking_number: str = Field(
        ..., min_length=1, max_length=64, pattern=TEXT,
        description="The waybill number: 6 to 32 letters, digits or '-', in the courier's own "
                    "shape (SF: SF and 12-13 digits; ZTO, STO: 12-15 digits; ...).")
    lots: list[LotIn] = Field(
        default_factory=list, max_length=200,
        description="Which harvest lots went into the parcel. A line named here is named "
                    "whole: its lots add up to what ships of it (422 otherwise); a lot of "
                    "another listing is 422; more than a lot's quantity in all is 409 "
                    "`lot_exhausted`. Lines left out ship without a lot.")


class OrderQuery(Schema):
    role: Literal["buyer", "producer"] = Field(
        "buyer",
        description="`buyer`: orders you placed; `producer`: orders with a parcel of yours.",
    )
    status: Literal["pending_payment", "paid", "shipped", "completed", "cancelled"] | None = None


class ShipmentQuery(Schema):
    status: Literal["pending", "shipped", "delivered", "cancelled"] | None = None


class AddressOut(Schema):
    recipient: str
    phone: str
    region_id: int
    region_path: str
    detail: str


class LineOut(Schema):
    id: int
    listing_id: int
    shipment_id: int
    title: str
    unit: str
    unit_price: Decimal
    quantity: int
    line_total: Decimal
    currency: str
    ships_from: date | None = Field(
        ..., description="A pre-sale line: the first day the farm may ship it.")
    ships_by: date | None = Field(
        ..., description="A pre-sale line: the last day; past it with the parcel still "
                         "pending, the buyer may cancel for a full refund.")
    allocated_quantity: int | None = Field(
        ..., description="A pre-sale line: what the harvest filled of it (null until the "
                         "harvest is recorded); the rest was refunded.")
    trace_codes: list[str] = Field(
        ..., description="The harvest lots the line shipped from (their trace codes).")

    @staticmethod
    def resolve_trace_codes(obj) -> list[str]:
        return [lot.batch.trace_code for lot in obj.lots.all()]


class OrderShipmentOut(Schema):
    id: int
    producer_id: int
    producer_name: str
    status: ShipmentStatus
    carrier: str
    carrier_code: CarrierCode | None = Field(
        ..., description="The courier's code; null until shipped.")
    tracking_number: str
    tracking_url: str | None = Field(
        ..., description="The courier's public tracking page for the number; null for other "
                         "couriers and before shipping.")
    line_ids: list[int]
    subtotal: Decimal
    shipping_fee: Decimal
    currency: str
    shipped_at: datetime | None
    delivered_at: datetime | None

    @staticmethod
    def resolve_producer_name(obj) -> str:
        return obj.producer.name

    @staticmethod
    def resolve_carrier_code(obj) -> str | None:
        return obj.carrier_code or None

    @staticmethod
    def resolve_tracking_url(obj) -> str | None:
        return tracking_url(obj.carrier_code, obj.tracking_number)


def _address(order, *, shipments: list, farm_view: bool) -> dict:
    return address_for({
        "recipient": order.recipient, "phone": order.phone, "region_id": order.region_id,
        "region_path": order.region.path, "detail": order.detail,
    }, shipments=shipments, farm_view=farm_view, paid=order.paid_at is not None)


class PaymentOut(Schema):
    id: int
    provider: str
    method: str
    status: Literal["pending", "succeeded", "failed", "closed"]
    amount: Decimal
    currency: str
    action: dict | None = Field(
        ..., description="What the app does next while the payment is pending: "
                         "`{type: jsapi, params}` (wx.requestPayment / WeixinJSBridge), "
                         "`{type: redirect, url}` (open it), `{type: qr, code_url}` (show it as "
                         "a QR code), `{type: sdk, order_string}` (the Alipay SDK); null once "
                         "settled.")

    @staticmethod
    def resolve_action(obj) -> dict | None:
        return obj.action if obj.status == "pending" else None


class RefundOut(Schema):
    id: int
    order_id: int
    amount: Decimal
    reason: str
    status: Literal["pending", "succeeded", "failed"]
    created_at: datetime


class OrderOut(Schema):
    id: int
    number: str
    status: OrderStatus
    view: Literal["buyer", "producer"] = Field(
        ..., description="`producer`: a farm's view, with only its lines, parcel and money."
    )
    lines: list[LineOut]
    shipments: list[OrderShipmentOut]
    subtotal: Decimal
    shipping_fee: Decimal
    total: Decimal
    currency: str
    promo_code: str
    note: str
    shipping_address: AddressOut
    expires_at: datetime
    paid_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    created_at: datetime
    payment: PaymentOut | None = Field(
        ..., description="The latest payment attempt (the buyer's view; null for a farm).")
    refunds: list[RefundOut] = Field(..., description="Money given back (the buyer's view).")

    @staticmethod
    def resolve_payment(obj):
        # an attempt the platform never answered (a 503 to the app) has nothing to show: the
        # attempt before it, or null
        shown = [p for p in obj.visible_payments if p.status != "pending" or p.action]
        return shown[-1] if shown else None

    @staticmethod
    def resolve_refunds(obj) -> list:
        return obj.visible_refunds

    @staticmethod
    def resolve_lines(obj) -> list:
        return obj.visible_lines

    @staticmethod
    def resolve_shipments(obj) -> list:
        return obj.visible_shipments

    @staticmethod
    def resolve_subtotal(obj) -> Decimal:
        return obj.view_subtotal

    @staticmethod
    def resolve_shipping_fee(obj) -> Decimal:
        return obj.view_shipping_fee

    @staticmethod
    def resolve_total(obj) -> Decimal:
        return obj.view_total

    @staticmethod
    def resolve_shipping_address(obj) -> dict:
        return _address(obj, shipments=obj.visible_shipments, farm_view=obj.view == "producer")


class ShipmentLotOut(Schema):
    line_id: int
    batch_id: int
    lot_code: str
    trace_code: str
    quantity: int

    @staticmethod
    def resolve_lot_code(obj) -> str:
        return obj.batch.lot_code

    @staticmethod
    def resolve_trace_code(obj) -> str:
        return obj.batch.trace_code


class ShipmentLineOut(Schema):
    id: int
    listing_id: int
    title: str
    unit: str
    quantity: int
    lots: list[ShipmentLotOut]

    @staticmethod
    def resolve_lots(obj) -> list:
        return list(obj.lots.all())


class ShipmentOut(Schema):
    """A parcel as the farm packs it: what goes in, where it goes."""

    id: int
    order_id: int
    order_number: str
    order_status: OrderStatus
    producer_id: int
    status: ShipmentStatus
    carrier: str
    carrier_code: CarrierCode | None = Field(
        ..., description="The courier's code; null until shipped.")
    tracking_number: str
    tracking_url: str | None = Field(
        ..., description="The courier's public tracking page for the number; null for other "
                         "couriers and before shipping.")
    line_ids: list[int]
    lines: list[ShipmentLineOut]
    subtotal: Decimal
    shipping_fee: Decimal
    currency: str
    shipping_address: AddressOut
    note: str
    shipped_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_order_number(obj) -> str:
        return obj.order.number

    @staticmethod
    def resolve_carrier_code(obj) -> str | None:
        return obj.carrier_code or None

    @staticmethod
    def resolve_tracking_url(obj) -> str | None:
        return tracking_url(obj.carrier_code, obj.tracking_number)

    @staticmethod
    def resolve_order_status(obj) -> str:
        return obj.order.status

    @staticmethod
    def resolve_lines(obj) -> list:
        return list(obj.lines.all())

    @staticmethod
    def resolve_currency(obj) -> str:
        return obj.order.currency

    @staticmethod
    def resolve_note(obj) -> str:
        return obj.order.note

    @staticmethod
    def resolve_shipping_address(obj) -> dict:
        return _address(obj.order, shipments=[obj], farm_view=True)


class WebhookOut(Schema):
    status: Literal["processed", "duplicate", "ignored", "refunded"]
    event_id: str


class HarvestIn(Schema):
    model_config = example(
        {"actual_quantity": 180, "policy": "pro_rata"}
    )
    actual_quantity: int = Field(..., strict=True, ge=0, le=2_000_000_000,
                                 description="Units the harvest brought in.")
    policy: Literal["first_come", "pro_rata"] = Field(
        ..., description="`first_come`: by payment time; `pro_rata`: in proportion, whole "
                         "units by largest remainder.")


class HarvestOrderOut(Schema):
    order_id: int
    ordered: int
    allocated: int
    refund: Decimal
    cancelled: bool = Field(..., description="Left with nothing: the order was cancelled.")


class HarvestOut(Schema):
    actual_quantity: int
    policy: Literal["first_come", "pro_rata"]
    allocated: int = Field(..., description="Units given to paid pre-sale lines.")
    refunded_amount: Decimal
    currency: str
    orders: list[HarvestOrderOut]

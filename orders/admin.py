"""The back office for orders. Statuses change only through the services, so every change
still writes its OrderEvent. The order's own page, with the staff's cancel, is checkout's
(checkout/admin.py): cancelling reaches the apps above this one."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from marketplace.admin import ReadOnlyAdmin
from orders.models import (
    Harvest,
    HarvestOrder,
    LineLot,
    OrderEvent,
    OrderLine,
    Shipment,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False
    related: list[str] = []  # shown foreign keys, joined: one query per inline, not per row

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        return queryset.select_related(*self.related) if self.related else queryset

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["listing", "title", "unit", "unit_price", "quantity", "line_total", "shipment"]
    readonly_fields = fields
    related = ["listing", "shipment"]


class ShipmentInline(ReadOnlyInline):
    model = Shipment
    fields = ["producer", "status", "subtotal", "shipping_fee", "carrier", "carrier_code",
              "tracking_number", "shipped_at", "delivered_at"]
    readonly_fields = fields
    show_change_link = True
    related = ["producer"]


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["created_at", "actor", "shipment", "from_status", "to_status", "note"]
    readonly_fields = fields
    related = ["actor", "shipment"]


class RecordAdmin(admin.ModelAdmin):
    """Staff read these; only the services create or change them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class OrderAdmin(RecordAdmin):
    """Registered by checkout, which adds the staff's cancel and the order's payments."""

    list_display = ["number", "buyer", "status", "total", "currency", "created_at", "paid_at"]
    list_filter = ["status", ("shipments__producer", admin.RelatedOnlyFieldListFilter),
                   "created_at"]
    search_fields = ["number", "buyer__username", "recipient", "phone"]
    list_select_related = ["buyer"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, ShipmentInline, OrderEventInline]
    readonly_fields = [
        "number", "buyer", "status", "subtotal", "shipping_fee", "total", "currency",
        "recipient", "phone", "region", "detail", "promo_code", "note", "expires_at", "paid_at",
        "cancelled_at", "cancel_reason", "created_at", "updated_at",
    ]


@admin.register(Shipment)
class ShipmentAdmin(RecordAdmin):
    list_display = ["id", "order", "producer", "status", "carrier", "carrier_code",
                    "tracking_number", "shipped_at", "delivered_at"]
    list_filter = ["status", "carrier_code", ("producer", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["order__number", "tracking_number"]
    list_select_related = ["order", "producer"]
    readonly_fields = ["order", "producer", "status", "subtotal", "shipping_fee", "carrier",
                       "carrier_code", "tracking_number", "shipped_at", "delivered_at",
                       "producer_notified_at", "buyer_notified_at", "cancel_notified_at",
                       "created_at"]
    inlines = [OrderEventInline]


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "order", "shipment", "actor", "from_status", "to_status", "note"]
    list_filter = ["to_status"]
    search_fields = ["order__number", "note"]
    list_select_related = ["order", "shipment", "actor"]


@admin.register(LineLot)
class LineLotAdmin(ReadOnlyAdmin):
    """Which harvest lot each shipped unit came from (the shipping service writes them)."""

    list_display = ["id", "line", "batch", "quantity", "created_at"]
    search_fields = ["line__order__number", "batch__lot_code", "batch__trace_code"]
    list_select_related = ["line", "batch"]
    raw_id_fields = ["line", "batch"]


class HarvestOrderInline(ReadOnlyInline):
    model = HarvestOrder
    fields = ["order", "ordered", "allocated", "refund", "cancelled", "notified_at"]
    readonly_fields = fields
    related = ["order"]


@admin.register(Harvest)
class HarvestAdmin(ReadOnlyAdmin):
    """Pre-sale harvests as recorded by the farms (POST /listings/{id}/harvest): each order's
    share and refund."""

    list_display = ["listing", "actual_quantity", "policy", "allocated", "refunded_amount",
                    "created_at"]
    list_filter = ["policy"]
    search_fields = ["listing__title", "listing__producer__name"]
    list_select_related = ["listing"]
    raw_id_fields = ["listing", "recorded_by"]
    inlines = [HarvestOrderInline]

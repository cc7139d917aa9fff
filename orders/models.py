from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round

# One fen more than the largest amount a DecimalField(max_digits=12, decimal_places=2) holds:
# orders, parcels, lines and payments (`payments.Payment`) stay below it.
MAX_AMOUNT = Decimal("10000000000")


class Order(models.Model):
    """One checkout by one buyer; its goods may come from several farms (one Shipment each)."""

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", "待付款"
        PAID = "paid", "已付款"
        SHIPPED = "shipped", "已发货"
        COMPLETED = "completed", "已完成"
        CANCELLED = "cancelled", "已取消"

    class CancelReason(models.TextChoices):
        BUYER = "buyer", "买家取消"
        EXPIRED = "expired", "超时未付款"
        STAFF = "staff", "客服取消"
        HARVEST = "harvest", "收成不足"
        # still unpaid when the farm recorded its pre-sale's harvest (orders.harvest)
        HARVEST_UNPAID = "harvest_unpaid", "预售已收成，未付款"

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    # "SH20261128K7Q2MX": what a buyer reads out on the phone to customer service.
    number = models.CharField(max_length=20, unique=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING_PAYMENT
    )
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    shipping_fee = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="CNY")
    recipient = models.CharField(max_length=64)
    phone = models.CharField(max_length=32)
    region = models.ForeignKey("producers.Region", on_delete=models.PROTECT, related_name="+")
    detail = models.CharField(max_length=255)
    promo_code = models.CharField(max_length=32, blank=True)
    # PLATFORM_FEE_RATE when the order was placed: a later change applies to later orders.
    platform_fee_rate = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0"))
    note = models.CharField(max_length=500, blank=True)
    expires_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=16, choices=CancelReason.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(subtotal__gt=0), name="order_subtotal_positive"),
            models.CheckConstraint(
                condition=Q(shipping_fee__gte=0), name="order_shipping_fee_not_negative"
            ),
            # Rounded to the fen: SQLite adds decimals as binary floats, and 2.87 + 10.00 there is
            # not the 12.87 stored (PostgreSQL's numeric is exact, so the rounding changes nothing)
            models.CheckConstraint(
                condition=Q(total=Round(F("subtotal") + F("shipping_fee"), 2)),
                name="order_total_adds_up",
            ),
        ]
        indexes = [
            models.Index(fields=["buyer", "created_at", "id"], name="order_buyer_created"),
            models.Index(fields=["status", "expires_at"], name="order_status_expires"),
        ]

    def __str__(self) -> str:
        return self.number


class Shipment(models.Model):
    """One farm's parcel of an order."""

    class Status(models.TextChoices):
        PENDING = "pending", "待发货"
        SHIPPED = "shipped", "已发货"
        DELIVERED = "delivered", "已签收"
        CANCELLED = "cancelled", "已取消"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    producer = models.ForeignKey(
        "producers.Producer", on_delete=models.PROTECT, related_name="shipments"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # This farm's goods, and the shipping fee charged for its parcel.
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    shipping_fee = models.DecimalField(max_digits=12, decimal_places=2)
    carrier = models.CharField(max_length=64, blank=True)
    # SF, ZTO, ... or other (orders.carriers): read from `carrier` when the farm typed a name.
    carrier_code = models.CharField(max_length=8, blank=True, default="", db_default="")
    tracking_number = models.CharField(max_length=64, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Set when the notification e-mail was handed over (a retried task sends it once).
    producer_notified_at = models.DateTimeField(null=True, blank=True)
    buyer_notified_at = models.DateTimeField(null=True, blank=True)
    cancel_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "producer"], name="shipment_one_per_producer"),
            models.CheckConstraint(
                condition=Q(subtotal__gt=0), name="shipment_subtotal_positive"
            ),
            models.CheckConstraint(
                condition=Q(shipping_fee__gte=0), name="shipment_shipping_fee_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["producer", "status", "id"], name="shipment_producer_status"),
        ]

    def __str__(self) -> str:
        return f"shipment {self.pk} of {self.order_id}"


class OrderLine(models.Model):
    """A listing bought, with its title, unit and price as they were at checkout."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    listing = models.ForeignKey(
        "producers.Listing", on_delete=models.PROTECT, related_name="order_lines"
    )
    title = models.CharField(max_length=120)
    unit = models.CharField(max_length=16)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=12, decimal_places=2)
    # A pre-sale line: the shipping window the listing promised when it was ordered, and when
    # its ordering closed: the line's own terms, whatever the listing says later.
    ships_from = models.DateField(null=True, blank=True)
    ships_by = models.DateField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    # What a short harvest filled of a pre-sale line (null until the harvest is recorded).
    allocated_quantity = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "listing"], name="order_line_one_per_listing"),
            models.CheckConstraint(
                condition=Q(allocated_quantity__isnull=True)
                | Q(allocated_quantity__lte=F("quantity")),
                name="order_line_allocated_within_quantity",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_min"),
            models.CheckConstraint(
                condition=Q(unit_price__gt=0), name="order_line_unit_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(line_total__gt=Decimal("0")), name="order_line_total_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title}"


class OrderEvent(models.Model):
    """One change of an order's or a shipment's status: who, when, from, to."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    shipment = models.ForeignKey(
        Shipment, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status}"


class LineLot(models.Model):
    """Units of an order line shipped from one harvest lot: the box in the buyer's hands names
    its lot (LocalOrbit's order-item lots)."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="lots")
    batch = models.ForeignKey("producers.Batch", on_delete=models.PROTECT,
                              related_name="line_lots")
    quantity = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["line", "batch"], name="line_lot_once_per_batch"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="line_lot_quantity_min"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.line_id} from lot {self.batch_id}"


class Harvest(models.Model):
    """A pre-sale's harvest, recorded once: what came in and how it was shared among the paid
    lines (each line's `allocated_quantity`); running it again with the same quantity answers
    from this record."""

    class Policy(models.TextChoices):
        FIRST_COME = "first_come", "按付款先后"
        PRO_RATA = "pro_rata", "按比例"

    listing = models.OneToOneField("producers.Listing", on_delete=models.PROTECT,
                                   related_name="harvest")
    actual_quantity = models.PositiveIntegerField()
    policy = models.CharField(max_length=16, choices=Policy.choices)
    allocated = models.PositiveIntegerField()
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"harvest of {self.listing_id}: {self.actual_quantity}"


class HarvestOrder(models.Model):
    """One order's share of a harvest: what it ordered of the listing, what it got, what went
    back to the buyer; `notified_at` once the buyer was told (claimed before sending)."""

    harvest = models.ForeignKey(Harvest, on_delete=models.CASCADE, related_name="orders")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="harvests")
    ordered = models.PositiveIntegerField()
    allocated = models.PositiveIntegerField()
    refund = models.DecimalField(max_digits=12, decimal_places=2)
    cancelled = models.BooleanField(default=False)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["harvest", "order"], name="harvest_order_once"),
            models.CheckConstraint(condition=Q(allocated__lte=F("ordered")),
                                   name="harvest_order_allocated_within_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.allocated}/{self.ordered} for {self.order_id}"

"""Payments and refunds: money taken through a provider, and given back through the same one.

A payment is one attempt to take an order's money; the platforms' callbacks are kept by their
event id. Both tables were made by `orders` (hence `db_table`) before they moved here.

A refund is asked for once (`key` names its cause: the cancellation of an order, a payment the
order could not take, a harvest that came in short, a member of staff), goes to the provider by
a task, and is settled by the provider's answer, its notification or the reconciliation query.
The sum of a payment's refunds that did not fail never exceeds the payment: `services` checks it
with the payment's row locked."""

from django.db import models
from django.db.models import Q


class Payment(models.Model):
    """One attempt to take an order's money through a provider. `provider_ref` is our number
    for it at the platform (WeChat and Alipay `out_trade_no`), `transaction_id` theirs.
    Refunds are `Refund` rows against it."""

    class Status(models.TextChoices):
        PENDING = "pending", "待确认"
        SUCCEEDED = "succeeded", "已支付"
        FAILED = "failed", "失败"
        CLOSED = "closed", "已关闭"

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=32)
    method = models.CharField(max_length=32, blank=True)
    provider_ref = models.CharField(max_length=128)
    transaction_id = models.CharField(max_length=128, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="CNY")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # what the app does next (API.md `payment.action`) while the payment is pending
    action = models.JSONField(null=True, blank=True)
    # this payment is the one that paid the order (its money is in the books)
    booked = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # the reconciliation task last asked the provider about it then
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "orders_payment"  # made by `orders`, where it lived first
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_ref"], name="payment_ref_unique_per_provider"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="payment_status_created")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_ref}"


class PaymentWebhookEvent(models.Model):
    """A provider's callback, kept by its event id: the same event twice has one effect."""

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=128)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    outcome = models.CharField(max_length=32, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "orders_paymentwebhookevent"
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="webhook_event_unique_per_provider"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "退款中"
        SUCCEEDED = "succeeded", "已退款"
        FAILED = "failed", "退款失败"

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT,
                                related_name="refunds")
    # ours at the platform (WeChat out_refund_no, Alipay out_request_no)
    number = models.CharField(max_length=64, unique=True)
    key = models.CharField(max_length=128, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.CharField(max_length=80)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    refund_id = models.CharField(max_length=128, blank=True)  # the platform's
    failure = models.CharField(max_length=255, blank=True)
    # a refund of one parcel (an after-sales claim): the books take it back from that parcel's
    # holders only, or, when the platform pays it (the courier was liable), from nobody
    shipment = models.ForeignKey("orders.Shipment", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="refunds")
    platform_pays = models.BooleanField(default=False)
    requested_by = models.ForeignKey("accounts.User", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="refund_status_created")]

    def __str__(self) -> str:
        return f"{self.number} {self.amount}"

"""Refunds: money given back through the provider that took it.

A refund is asked for once (`key` names its cause: the cancellation of an order, a payment the
order could not take, a harvest that came in short, a member of staff), goes to the provider by
a task, and is settled by the provider's answer, its notification or the reconciliation query.
The sum of a payment's refunds that did not fail never exceeds the payment: `services` checks it
with the payment's row locked."""

from django.db import models
from django.db.models import Q


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "退款中"
        SUCCEEDED = "succeeded", "已退款"
        FAILED = "failed", "退款失败"

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey("orders.Payment", on_delete=models.PROTECT,
                                related_name="refunds")
    # ours at the platform (WeChat out_refund_no, Alipay out_request_no)
    number = models.CharField(max_length=64, unique=True)
    key = models.CharField(max_length=128, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.CharField(max_length=80)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    refund_id = models.CharField(max_length=128, blank=True)  # the platform's
    failure = models.CharField(max_length=255, blank=True)
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

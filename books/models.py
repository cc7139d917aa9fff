"""Payouts and weekly statements: what the books do with the ledger's accounts (`ledger`)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from ledger.models import Account


class Payout(models.Model):
    """Money staff send to a farm or a promoter out of its available balance.
    pending -> paid (with the bank's or provider's reference) or failed (back to available)."""

    class Status(models.TextChoices):
        PENDING = "pending", "打款中"
        PAID = "paid", "已打款"
        FAILED = "failed", "失败"

    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", "银行转账"
        PROVIDER_TRANSFER = "provider_transfer", "支付渠道转账"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="payouts")
    amount_fen = models.BigIntegerField()
    method = models.CharField(max_length=32, choices=Method.choices,
                              default=Method.BANK_TRANSFER)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reference = models.CharField(max_length=128, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payout_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="paid") | ~Q(reference=""), name="payout_paid_has_reference"
            ),
        ]
        indexes = [models.Index(fields=["account", "created_at", "id"], name="payout_account")]

    def __str__(self) -> str:
        return f"payout {self.pk} ({self.status})"


class Statement(models.Model):
    """A farm's week, Monday to Sunday (Asia/Shanghai), closed by the Monday task. It covers
    the ledger entries with `first_seq <= seq <= last_seq` (posted before the week ended and
    after the previous statement): an entry posted late, such as a refund of an order of a
    closed week, lands in the next statement, never in none or two."""

    producer = models.ForeignKey(
        "producers.Producer", on_delete=models.PROTECT, related_name="statements"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    first_seq = models.BigIntegerField()
    last_seq = models.BigIntegerField()
    opening_fen = models.BigIntegerField()
    sales_fen = models.BigIntegerField(default=0)
    shipping_fen = models.BigIntegerField(default=0)
    platform_fees_fen = models.BigIntegerField(default=0)
    commissions_fen = models.BigIntegerField(default=0)
    benefit_pledges_fen = models.BigIntegerField(default=0)
    refunds_fen = models.BigIntegerField(default=0)
    payouts_fen = models.BigIntegerField(default=0)
    adjustments_fen = models.BigIntegerField(default=0)
    closing_fen = models.BigIntegerField()
    closed_at = models.DateTimeField()

    class Meta:
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["producer", "period_start"],
                                    name="statement_one_per_farm_week"),
            models.CheckConstraint(
                condition=Q(closing_fen=F("opening_fen") + F("sales_fen") + F("shipping_fen")
                            + F("platform_fees_fen") + F("commissions_fen")
                            + F("benefit_pledges_fen") + F("refunds_fen") + F("payouts_fen")
                            + F("adjustments_fen")),
                name="statement_adds_up",
            ),
        ]
        indexes = [models.Index(fields=["producer", "period_start", "id"],
                                name="statement_producer_period")]

    def __str__(self) -> str:
        return f"{self.producer_id} {self.period_start}..{self.period_end}"

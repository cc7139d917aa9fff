"""The ledger: a double-entry record of who is owed what, and nothing about why.

Amounts are whole fen (`BigIntegerField`), never floats and never database decimals: a sum of
fen is exact on every backend, including SQLite, whose NUMERIC columns hold decimals as
binary floating point, so the database's own balance checks (`ledger.triggers`) add up to the
fen. The API shows yuan with two places (`ledger.amounts.yuan`).

Signs: an entry's amount is what the platform owes the account's holder more (+) or less (-).
A farm's or promoter's balance is what they are owed; provider clearing is the money the
payment provider holds for us, so it is negative while money is in; every transaction's
entries add up to zero, and so do all accounts together.

The tables were created by `books` (hence `db_table`); the posting rules (what a payment, a
refund or a payout moves) stay there, above this app, which imports only the kernel.
"""

from django.db import models
from django.db.models import Q


class Account(models.Model):
    """One account of the ledger. System accounts (provider clearing, platform fees, payouts in
    transit, refunds owed to buyers of cancelled orders) have `holder_id` 0; a farm, a promoter
    or a public-benefit project has a pending and an available account, `holder_id` being its
    producer, promoter or project id. A new kind of holder is a new `Kind` (no schema
    change)."""

    class Kind(models.TextChoices):
        PROVIDER_CLEARING = "provider_clearing", "支付渠道待清算"
        PLATFORM_FEES = "platform_fees", "平台服务费"
        PAYOUTS_IN_TRANSIT = "payouts_in_transit", "打款中"
        REFUNDS_PAYABLE = "refunds_payable", "待退款"
        FARM = "farm", "农户"
        PROMOTER = "promoter", "推广者"
        BENEFIT_PROJECT = "benefit_project", "公益项目"
        CLAIMS_EXPENSE = "claims_expense", "平台售后赔付"

    class Bucket(models.TextChoices):
        NONE = "", "-"
        PENDING = "pending", "待结算"
        AVAILABLE = "available", "可提现"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    holder_id = models.BigIntegerField(default=0)
    bucket = models.CharField(max_length=16, choices=Bucket.choices, blank=True, default="")
    name = models.CharField(max_length=120, blank=True)
    # Sum of the account's entries, kept in the same transaction as each posting (under the
    # ledger's lock) so that a balance is one row read; `ledger_verify` recomputes it.
    balance_fen = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "books_account"
        ordering = ["kind", "holder_id", "bucket"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "holder_id", "bucket"], name="account_one_per_holder_bucket"
            ),
            # Pending money, fees and payouts in transit never go below zero. An available
            # balance may: a refund after a payout leaves the farm owing it back. The platform's
            # claims expense only ever grows below zero: money it paid back to buyers.
            models.CheckConstraint(
                condition=Q(balance_fen__gte=0) | Q(bucket="available")
                | Q(kind="provider_clearing") | Q(kind="claims_expense"),
                name="account_balance_not_negative",
            ),
        ]

    def __str__(self) -> str:
        label = self.name or f"{self.get_kind_display()} {self.holder_id or ''}".strip()
        return f"{label} {self.get_bucket_display()}" if self.bucket else label


class LedgerTransaction(models.Model):
    """A balanced set of entries caused by one source event, named by `key`
    ("payment:order:42", "refund:7", "payout_paid:3", ...): the same event twice posts once.

    The entries are written first and this row last; the database refuses this row unless its
    entries add up to zero and are at least two, and refuses entries for a transaction already
    written (`ledger.triggers`). Never updated or deleted."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "付款成功"
        REFUND = "refund", "退款"
        CANCELLATION = "cancellation", "付款后取消"
        RELEASE = "release", "待结算转可提现"
        COMMISSION_SETTLED = "commission_settled", "佣金结算"
        PAYOUT_CREATED = "payout_created", "发起打款"
        PAYOUT_PAID = "payout_paid", "打款成功"
        PAYOUT_FAILED = "payout_failed", "打款失败"
        ADJUSTMENT = "adjustment", "调整"

    key = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    order_id = models.BigIntegerField(null=True, blank=True)
    memo = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "books_ledgertransaction"
        ordering = ["-id"]
        verbose_name = "ledger transaction"
        indexes = [models.Index(fields=["order_id"], name="ledger_txn_order")]

    def __str__(self) -> str:
        return self.key


class Entry(models.Model):
    """One line of a transaction on one account. Append-only (database triggers refuse UPDATE
    and DELETE). `seq` orders every entry of the ledger and `hash` chains each entry to the
    one before it, so that `manage.py ledger_verify` notices any entry changed behind the
    triggers' back."""

    class Kind(models.TextChoices):
        # what a farm or promoter sees in its ledger (API.md)
        SALE = "sale", "货款"
        SHIPPING = "shipping", "运费"
        PLATFORM_FEE = "platform_fee", "平台服务费"
        COMMISSION = "commission", "推广佣金"
        BENEFIT_PLEDGE = "benefit_pledge", "公益认捐"
        REFUND = "refund", "退款"
        PAYOUT = "payout", "提现打款"
        ADJUSTMENT = "adjustment", "调整"
        # the ledger's own moves: money in from a payment, pending -> available
        RECEIVED = "received", "收款"
        RELEASE = "release", "转为可提现"

    transaction = models.ForeignKey(
        LedgerTransaction, to_field="key", db_column="transaction_key",
        on_delete=models.PROTECT, related_name="entries",
    )
    seq = models.BigIntegerField(unique=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount_fen = models.BigIntegerField()
    order_id = models.BigIntegerField(null=True, blank=True)
    shipment_id = models.BigIntegerField(null=True, blank=True)
    memo = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        db_table = "books_entry"
        ordering = ["-seq"]
        verbose_name_plural = "entries"
        constraints = [
            models.CheckConstraint(condition=~Q(amount_fen=0), name="entry_amount_not_zero"),
        ]
        indexes = [
            models.Index(fields=["account", "seq"], name="entry_account_seq"),
            models.Index(fields=["order_id"], name="entry_order"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.amount_fen}"


class LedgerHead(models.Model):
    """The end of the hash chain: one row, locked by every posting (so entries are chained in
    the order they commit) and by the weekly statement run."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        db_table = "books_ledgerhead"

    def __str__(self) -> str:
        return f"head at {self.last_seq}"

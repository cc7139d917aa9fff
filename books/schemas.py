from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Schema

from ledger.amounts import yuan


class BalanceOut(Schema):
    pending: Decimal
    available: Decimal
    paid_out: Decimal
    payout_pending: Decimal
    currency: str


class LedgerEntryOut(Schema):
    id: int
    created_at: datetime
    kind: Literal["sale", "shipping", "platform_fee", "commission", "benefit_pledge", "refund",
                  "payout", "adjustment"]
    amount: Decimal
    currency: str = "CNY"
    order_id: int | None
    memo: str

    @staticmethod
    def resolve_amount(entry) -> Decimal:
        return yuan(entry.amount_fen)


class StatementOut(Schema):
    id: int
    period_start: date
    period_end: date
    opening: Decimal
    sales: Decimal
    shipping: Decimal
    platform_fees: Decimal
    commissions: Decimal
    benefit_pledges: Decimal
    refunds: Decimal
    payouts: Decimal
    adjustments: Decimal
    closing: Decimal
    currency: str = "CNY"

    @staticmethod
    def resolve_opening(statement) -> Decimal:
        return yuan(statement.opening_fen)

    @staticmethod
    def resolve_sales(statement) -> Decimal:
        return yuan(statement.sales_fen)

    @staticmethod
    def resolve_shipping(statement) -> Decimal:
        return yuan(statement.shipping_fen)

    @staticmethod
    def resolve_platform_fees(statement) -> Decimal:
        return yuan(statement.platform_fees_fen)

    @staticmethod
    def resolve_commissions(statement) -> Decimal:
        return yuan(statement.commissions_fen)

    @staticmethod
    def resolve_benefit_pledges(statement) -> Decimal:
        return yuan(statement.benefit_pledges_fen)

    @staticmethod
    def resolve_refunds(statement) -> Decimal:
        return yuan(statement.refunds_fen)

    @staticmethod
    def resolve_payouts(statement) -> Decimal:
        return yuan(statement.payouts_fen)

    @staticmethod
    def resolve_adjustments(statement) -> Decimal:
        return yuan(statement.adjustments_fen)

    @staticmethod
    def resolve_closing(statement) -> Decimal:
        return yuan(statement.closing_fen)


class PayoutOut(Schema):
    id: int
    amount: Decimal
    currency: str = "CNY"
    status: Literal["pending", "paid", "failed"]
    reference: str
    created_at: datetime
    paid_at: datetime | None

    @staticmethod
    def resolve_amount(payout) -> Decimal:
        return yuan(payout.amount_fen)

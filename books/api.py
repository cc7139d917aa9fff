"""What a farm and a promoter see of the books: balance, ledger, weekly statements, payouts."""

from django.http import HttpRequest
from ninja import Query, Router

from accounts.auth import bearer
from books import selectors
from books.schemas import BalanceOut, LedgerEntryOut, PayoutOut, StatementOut
from marketplace.pagination import PageParams, page_schema

router = Router(tags=["books"])


def _page(page) -> dict:
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/producers/me/balance", response=BalanceOut, auth=bearer)
def producer_balance(request: HttpRequest):
    """What the farm is owed: `pending` until each shipment has been delivered for
    RETURN_WINDOW_DAYS, then `available` for a payout; `paid_out` so far and `payout_pending`
    (payouts sent, not yet confirmed). No producer profile -> 403."""
    return selectors.balance(selectors.farm_of(request.auth))


@router.get("/promoters/me/balance", response=BalanceOut, auth=bearer)
def promoter_balance(request: HttpRequest):
    """The promoter's commissions: pending until settled, then available. No promoter
    profile -> 403."""
    return selectors.balance(selectors.promoter_of(request.auth))


@router.get("/producers/me/ledger", response=page_schema(LedgerEntryOut, "LedgerPage"),
            auth=bearer)
def producer_ledger(request: HttpRequest, params: Query[PageParams]):
    """Every movement of the farm's money, newest first; `amount` is signed (+ owed to you)."""
    return _page(selectors.ledger_page(selectors.farm_of(request.auth), params))


@router.get("/promoters/me/ledger", response=page_schema(LedgerEntryOut, "LedgerPage"),
            auth=bearer)
def promoter_ledger(request: HttpRequest, params: Query[PageParams]):
    """Every movement of the promoter's money, newest first."""
    return _page(selectors.ledger_page(selectors.promoter_of(request.auth), params))


@router.get("/producers/me/statements", response=page_schema(StatementOut), auth=bearer)
def producer_statements(request: HttpRequest, params: Query[PageParams]):
    """Weekly statements (Monday to Sunday, Asia/Shanghai), newest first, closed each Monday:
    `opening` + the week's movements = `closing`."""
    return _page(selectors.statement_page(selectors.farm_of(request.auth), params))


@router.get("/producers/me/payouts", response=page_schema(PayoutOut, "PayoutPage"),
            auth=bearer)
def producer_payouts(request: HttpRequest, params: Query[PageParams]):
    """Money sent to the farm, newest first."""
    return _page(selectors.payout_page(selectors.farm_of(request.auth), params))


@router.get("/promoters/me/payouts", response=page_schema(PayoutOut, "PayoutPage"),
            auth=bearer)
def promoter_payouts(request: HttpRequest, params: Query[PageParams]):
    """Money sent to the promoter, newest first."""
    return _page(selectors.payout_page(selectors.promoter_of(request.auth), params))

"""Races on PostgreSQL with real threads: payment notifications, refunds, cancellations and
payouts that arrive at once post exactly once, never take back or pay out more than there is,
and leave the books adding up to zero."""

import json
import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction

from books import services as books
from books.models import Payout
from ledger.models import Account, Entry, LedgerTransaction
from marketplace.errors import DomainError
from payments.models import Refund
from payments.providers.sandbox import SIGNATURE_HEADER, sign
from payments.services import refund_request
from tests.client import ApiClient
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def webhook(order, event_id: str, ref: str):
    body = json.dumps({"id": event_id, "type": "payment.succeeded",
                       "data": {"order_number": order.number, "payment_ref": ref,
                                "amount": str(order.total)}}).encode()

    def call():
        return ApiClient().post("/payments/webhooks/sandbox", body,
                                headers={SIGNATURE_HEADER: sign(body, int(time.time()))})

    return call


def books_add_up() -> None:
    assert sum(Account.objects.values_list("balance_fen", flat=True)) == 0
    call_command("ledger_verify")


def test_payment_notifications_at_once_post_the_payment_once(market):
    order = market.place({0: 4, 1: 3})

    results = run_concurrently(*[webhook(order, f"evt_{i}", "sbx_same") for i in range(4)],
                               *[webhook(order, f"evt_other_{i}", f"sbx_{i}") for i in range(2)])

    assert all(r.status_code == 200 for r in results), results
    assert LedgerTransaction.objects.filter(kind="payment").count() == 1
    assert str(market.farm_balance(market.farms[0])["pending"]) == "52.50"
    books_add_up()


def refund(order, amount: str, key: str):
    def call():
        with transaction.atomic():
            return books.refund_post(order_id=order.pk, amount=Decimal(amount), key=key)

    return call


def test_refunds_at_once_never_take_back_more_than_was_paid(market):
    order = market.buy({0: 4})  # 60.00

    results = run_concurrently(*[refund(order, "25.00", f"refund:{i}") for i in range(3)],
                               refund(order, "25.00", "refund:0"))

    # two of the three refunds fit in 60.00; the third is refused (and so is the repeat of
    # refund:0 when refund:0 was the one refused; otherwise the repeat is a no-op)
    refused = [r for r in results if isinstance(r, DomainError)]
    assert {r.code for r in refused} == {"refund_exceeds_payment"}
    assert LedgerTransaction.objects.filter(kind="refund").count() == 2
    posted = set(LedgerTransaction.objects.filter(kind="refund").values_list("key", flat=True))
    assert len(refused) == (2 if "refund:0" not in posted else 1)
    assert Account.objects.get(kind="provider_clearing").balance_fen == -1000
    books_add_up()


def test_a_cancellation_and_a_refund_at_once_take_back_the_payment_once(market):
    order = market.buy({0: 4, 1: 3})

    def cancel():
        return market.client_for(market.buyer).post(f"/orders/{order.pk}/cancel")

    def partial_refund():  # through the provider, as staff or a short harvest would
        return refund_request(order=order, amount=Decimal("10.00"), reason="r", key="late")

    results = run_concurrently(cancel, cancel, partial_refund)

    assert sorted(r.status_code for r in results[:2]) == [200, 409]
    # the refund came first (the cancellation gave back the rest) or was refused after it
    assert isinstance(results[2], Refund) or results[2].code == "refund_exceeds_payment"
    assert Account.objects.get(kind="provider_clearing").balance_fen == 0
    for farm in market.farms:
        assert str(market.farm_balance(farm)["pending"]) == "0.00"
    assert LedgerTransaction.objects.filter(kind="cancellation").count() == 1
    books_add_up()


def test_two_staff_paying_out_at_once_never_exceed_the_available_balance(market):
    order = market.buy({0: 4})
    market.ship_and_deliver(order)
    market.settle()
    account = market.farm_account(market.farms[0])  # 52.50 available

    def pay_out():
        return books.payout_create(account_id=account.pk, amount=Decimal("40.00"), staff=None)

    results = run_concurrently(pay_out, pay_out, pay_out)

    assert sum(isinstance(r, Payout) for r in results) == 1
    assert {r.code for r in results if not isinstance(r, Payout)} == {"payout_exceeds_balance"}
    account.refresh_from_db()
    assert account.balance_fen == 1250
    assert Entry.objects.filter(kind="payout").count() == 2
    books_add_up()


def test_marking_a_payout_paid_and_failed_at_once_does_one(market):
    order = market.buy({0: 4})
    market.ship_and_deliver(order)
    market.settle()
    payout = market.payout(market.farms[0], "50.00")

    results = run_concurrently(
        lambda: books.payout_mark_paid(payout_id=payout.pk, reference="BANK-1"),
        lambda: books.payout_mark_failed(payout_id=payout.pk, reason="超时"),
    )

    assert sum(isinstance(r, Payout) for r in results) == 1
    payout.refresh_from_db()
    balance = market.farm_balance(market.farms[0])
    if payout.status == "paid":
        assert (str(balance["paid_out"]), str(balance["available"])) == ("50.00", "2.50")
    else:
        assert (str(balance["paid_out"]), str(balance["available"])) == ("0.00", "52.50")
    books_add_up()

"""Refunds through the provider that took the money: on the order, within the payment, once
per cause, into the books; and a cancellation that asks for them."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ledger.models import Entry
from marketplace.errors import Conflict, InvalidState, ValidationFailed
from payments.models import Payment, Refund
from payments.services import refund_request
from tests.books.conftest import Market
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def market_settings(settings):
    settings.PAYMENT_PROVIDERS = ["sandbox"]
    settings.PLATFORM_FEE_RATE = Decimal("0.05")
    settings.SHIPPING_FEE_FLAT = Decimal("10.00")
    settings.SHIPPING_FREE_THRESHOLD = Decimal("99.00")
    settings.RETURN_WINDOW_DAYS = 7


def refunded(order) -> Decimal:
    return sum((r.amount for r in Refund.objects.filter(order=order, status="succeeded")),
               Decimal("0.00"))


def test_a_partial_refund_is_on_the_order_and_in_the_books():
    market = Market()
    order = market.buy({0: 4, 1: 1})
    refund = refund_request(order=order, amount=Decimal("12.50"), reason="少发一斤",
                            key="test:partial")
    assert refund.status == "succeeded" and refund.refund_id.startswith("sbr_")
    response = market.client_for(market.buyer).get(f"/orders/{order.pk}")
    assert response.json()["refunds"] == [{
        "id": refund.pk, "order_id": order.pk, "amount": "12.50", "reason": "少发一斤",
        "status": "succeeded", "created_at": response.json()["refunds"][0]["created_at"],
    }]
    # the books took 12.50 back from the order's holders, in one balanced transaction
    taken = Entry.objects.filter(transaction__key=f"refund:{refund.pk}")
    assert sum(e.amount_fen for e in taken) == 0
    assert taken.filter(account__kind="provider_clearing").get().amount_fen == 1250


def test_the_same_cause_refunds_once_and_another_amount_for_it_is_409():
    market = Market()
    order = market.buy({0: 4})
    first = refund_request(order=order, amount=Decimal("5.00"), reason="r", key="test:once")
    again = refund_request(order=order, amount=Decimal("5.00"), reason="r", key="test:once")
    assert again.pk == first.pk and Refund.objects.count() == 1
    with pytest.raises(Conflict) as error:
        refund_request(order=order, amount=Decimal("6.00"), reason="r", key="test:once")
    assert error.value.code == "refund_key_reused"


def test_never_more_than_the_payment():
    market = Market()
    order = market.buy({0: 2})  # 25.00 + 10.00 shipping
    refund_request(order=order, amount=Decimal("30.00"), reason="r", key="test:a")
    with pytest.raises(Conflict) as error:
        refund_request(order=order, amount=Decimal("5.01"), reason="r", key="test:b")
    assert error.value.code == "refund_exceeds_payment"
    refund_request(order=order, amount=Decimal("5.00"), reason="r", key="test:c")
    assert refunded(order) == order.total
    call_command("ledger_verify")


def test_an_unpaid_order_or_a_zero_amount_is_refused():
    market = Market()
    order = market.place({0: 1})
    with pytest.raises(InvalidState):
        refund_request(order=order, amount=Decimal("1.00"), reason="r", key="test:unpaid")
    market.pay(order)
    with pytest.raises(ValidationFailed):
        refund_request(order=order, amount=Decimal("0"), reason="r", key="test:zero")


def test_cancelling_after_a_partial_refund_gives_back_only_the_rest():
    market = Market()
    order = market.buy({0: 4, 1: 1})
    refund_request(order=order, amount=Decimal("10.00"), reason="r", key="test:first")
    market.cancel(order)
    refunds = list(Refund.objects.filter(order=order).order_by("id"))
    assert [r.amount for r in refunds] == [Decimal("10.00"), order.total - Decimal("10.00")]
    assert refunded(order) == order.total
    call_command("ledger_verify")


@hypothesis_settings(max_examples=25, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=1, max_value=6000), min_size=1, max_size=6),
       st.booleans())
def test_refunds_in_any_amounts_never_exceed_the_payment_and_the_books_balance(amounts, cancel):
    market = Market()
    order = market.buy({0: 3, 1: 1})  # 37.50 + 33.30 + shipping per farm
    for index, fen in enumerate(amounts):
        try:
            refund_request(order=order, amount=Decimal(fen) / 100, reason="r",
                           key=f"test:prop:{order.pk}:{index}")
        except Conflict:
            assert refunded(order) + Decimal(fen) / 100 > order.total
    if cancel:
        market.cancel(order)
        assert refunded(order) == order.total
    assert refunded(order) <= order.total
    payment = Payment.objects.get(order=order)
    assert payment.status == "succeeded" and payment.booked
    call_command("ledger_verify")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_refunds_at_once_never_give_back_more_than_was_paid():
    market = Market()
    order = market.buy({0: 4})  # 50.00 + 10.00
    calls = [lambda k=k: refund_request(order=order, amount=Decimal("40.00"), reason="r",
                                        key=f"test:race:{k}") for k in range(4)]
    results = run_concurrently(*calls)
    done = [r for r in results if isinstance(r, Refund)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(done) == 1 and len(refused) == 3, results
    assert refunded(order) == Decimal("40.00")
    call_command("ledger_verify")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_cancellation_and_a_refund_at_once_give_back_the_payment_once():
    market = Market()
    order = market.buy({0: 4, 1: 1})

    def cancel():
        market.cancel(order)
        return "cancelled"

    results = run_concurrently(
        cancel, lambda: refund_request(order=order, amount=Decimal("20.00"), reason="r",
                                       key="test:race:partial"))
    assert not [r for r in results if isinstance(r, Exception) and
                not isinstance(r, Conflict)], results
    assert refunded(order) == order.total
    call_command("ledger_verify")

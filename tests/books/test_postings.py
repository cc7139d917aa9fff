"""Postings from the order flows: what each farm, the promoter and the platform are owed after
payment, refund, cancellation, delivery and settlement, read back through the API."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction

from books import services as books
from ledger.models import Account, Entry, LedgerTransaction
from marketplace.errors import Conflict
from orders.models import Order

pytestmark = pytest.mark.django_db

D = Decimal


def owed(market, farm) -> dict:
    """The farm's balance as its own phone sees it."""
    response = market.client_for(farm.user).get("/producers/me/balance")
    assert response.status_code == 200, response.content
    return response.json()


def big_order(market) -> Order:
    """Farm 0: 4 × 12.50 = 50.00 + 10.00 shipping, promoted (10%); farm 1: 3 × 33.30 = 99.90,
    free shipping. Total 159.90; platform fee 5% per line: 2.50 and 5.00 (4.995 half up)."""
    return market.buy({0: 4, 1: 3})


def test_a_paid_order_owes_each_farm_its_goods_and_shipping_less_fee_and_commission(market):
    order = big_order(market)

    assert order.platform_fee_rate == D("0.05")  # snapshotted when placed
    farm0, farm1 = market.farms
    assert owed(market, farm0) == {"pending": "52.50", "available": "0.00", "paid_out": "0.00",
                                   "payout_pending": "0.00", "currency": "CNY"}
    assert owed(market, farm1)["pending"] == "94.90"
    promoter = market.client_for(market.promoter.user).get("/promoters/me/balance").json()
    assert promoter["pending"] == "5.00"
    fees = Account.objects.get(kind="platform_fees")
    assert fees.balance_fen == 750
    assert Account.objects.get(kind="provider_clearing").balance_fen == -15990


def test_the_farm_ledger_lists_each_part_of_the_sale_newest_first(market):
    order = big_order(market)

    items = market.client_for(market.farms[0].user).get("/producers/me/ledger").json()["items"]
    assert [(i["kind"], i["amount"]) for i in items] == [
        ("commission", "-5.00"), ("platform_fee", "-2.50"), ("shipping", "10.00"),
        ("sale", "50.00"),
    ]
    assert {i["order_id"] for i in items} == {order.pk}
    assert all(i["currency"] == "CNY" for i in items)


def test_the_fee_rate_is_the_one_of_the_day_the_order_was_placed(market, settings):
    order = market.place({1: 3}, promo=False)
    settings.PLATFORM_FEE_RATE = D("0.20")
    market.pay(order)

    assert owed(market, market.farms[1])["pending"] == "94.90"  # 99.90 less 5%, not 20%


def test_a_payment_notified_twice_posts_once(market):
    order = big_order(market)

    with transaction.atomic():
        assert books.payment_post(order_id=order.pk) is None

    assert LedgerTransaction.objects.filter(key=f"payment:order:{order.pk}").count() == 1
    assert owed(market, market.farms[0])["pending"] == "52.50"


def test_a_partial_refund_takes_back_the_same_share_from_everyone(market):
    order = big_order(market)

    market.refund(order, "15.99")  # a tenth of 159.90

    assert owed(market, market.farms[0])["pending"] == "47.25"  # 52.50 - 5.25
    assert owed(market, market.farms[1])["pending"] == "85.41"  # 94.90 - 9.49
    assert market.promoter_balance()["pending"] == D("4.50")
    assert Account.objects.get(kind="platform_fees").balance_fen == 675
    assert Account.objects.get(kind="provider_clearing").balance_fen == -14391
    kinds = market.client_for(market.farms[0].user).get("/producers/me/ledger").json()["items"]
    assert (kinds[0]["kind"], kinds[0]["amount"]) == ("refund", "-5.25")


def test_refunds_add_up_to_the_whole_payment_and_never_more(market):
    order = big_order(market)
    market.refund(order, "0.01")
    market.refund(order, "100.00")
    market.refund(order, "59.89")  # the rest, to the fen

    for farm in market.farms:
        assert owed(market, farm)["pending"] == "0.00"
    assert market.promoter_balance()["pending"] == D("0.00")
    assert Account.objects.get(kind="platform_fees").balance_fen == 0
    assert Account.objects.get(kind="provider_clearing").balance_fen == 0
    with pytest.raises(Conflict) as refused:
        market.refund(order, "0.01")
    assert refused.value.code == "refund_exceeds_payment"


def test_the_same_refund_posted_twice_takes_back_once(market):
    order = big_order(market)
    market.refund(order, "15.99", key="refund:77")
    market.refund(order, "15.99", key="refund:77")

    assert owed(market, market.farms[0])["pending"] == "47.25"


def test_cancelling_a_paid_order_takes_everything_back(market):
    order = big_order(market)

    response = market.client_for(market.buyer).post(f"/orders/{order.pk}/cancel")

    assert response.status_code == 200
    for farm in market.farms:
        assert owed(market, farm)["pending"] == "0.00"
    assert market.promoter_balance()["pending"] == D("0.00")
    assert Account.objects.get(kind="provider_clearing").balance_fen == 0
    txn = LedgerTransaction.objects.get(order_id=order.pk, kind="cancellation")
    assert txn.key == f"cancellation:order:{order.pk}"


def test_cancelling_an_unpaid_order_posts_nothing(market):
    order = market.place({0: 1})
    market.cancel(order)

    assert not Entry.objects.filter(order_id=order.pk).exists()


def test_money_becomes_available_only_after_delivery_and_the_return_window(market):
    order = big_order(market)
    market.settle()  # not delivered yet: nothing moves
    assert owed(market, market.farms[0])["available"] == "0.00"

    market.ship_and_deliver(order)
    market.settle(days=6)  # inside the window
    assert owed(market, market.farms[0])["available"] == "0.00"

    market.settle(days=8)
    assert owed(market, market.farms[0]) == {
        "pending": "0.00", "available": "52.50", "paid_out": "0.00", "payout_pending": "0.00",
        "currency": "CNY"}
    assert market.promoter_balance()["available"] == D("5.00")
    market.settle(days=9)  # twice: nothing more
    assert owed(market, market.farms[0])["available"] == "52.50"
    # the move from pending to available is not a movement the farm is shown
    kinds = {i["kind"] for i in market.client_for(market.farms[0].user)
             .get("/producers/me/ledger").json()["items"]}
    assert "release" not in kinds


def test_a_refund_after_release_comes_out_of_available(market):
    order = big_order(market)
    market.ship_and_deliver(order)
    market.settle()

    market.refund(order, "15.99")

    assert owed(market, market.farms[0])["available"] == "47.25"
    assert market.promoter_balance()["available"] == D("4.50")


def test_payout_paid_and_failed(market):
    order = big_order(market)
    market.ship_and_deliver(order)
    market.settle()
    farm = market.farms[0]

    first = market.payout(farm, "50.00")
    assert owed(market, farm) == {"pending": "0.00", "available": "2.50", "paid_out": "0.00",
                                  "payout_pending": "50.00", "currency": "CNY"}
    books.payout_mark_paid(payout_id=first.pk, reference="BANK-2026-0001")
    assert owed(market, farm)["paid_out"] == "50.00"

    second = market.payout(farm, "2.50")
    books.payout_mark_failed(payout_id=second.pk, reason="账户名不符")
    assert owed(market, farm) == {"pending": "0.00", "available": "2.50", "paid_out": "50.00",
                                  "payout_pending": "0.00", "currency": "CNY"}
    payouts = market.client_for(farm.user).get("/producers/me/payouts").json()["items"]
    assert [(p["status"], p["amount"], p["reference"]) for p in payouts] == [
        ("failed", "2.50", ""), ("paid", "50.00", "BANK-2026-0001")]
    assert payouts[1]["paid_at"] is not None
    call_command("ledger_verify")


def test_a_payout_above_the_available_balance_is_refused_and_posts_nothing(market):
    order = big_order(market)
    market.ship_and_deliver(order)
    market.settle()
    before = Entry.objects.count()

    with pytest.raises(Exception) as refused:
        market.payout(market.farms[0], "52.51")

    assert getattr(refused.value, "code", "") == "payout_exceeds_balance"
    assert Entry.objects.count() == before


def test_sum_of_all_accounts_is_zero_and_the_ledger_verifies(market):
    order = big_order(market)
    market.refund(order, "3.33")
    other = market.buy({1: 1, 0: 2})
    market.ship_and_deliver(order)
    market.settle()
    market.cancel(other)

    assert sum(Account.objects.values_list("balance_fen", flat=True)) == 0
    call_command("ledger_verify")


def test_a_cancellation_owes_the_buyer_until_the_provider_refund_is_posted(market):
    """As when the provider refunds later (a pending Refund that succeeds): the holders give
    everything back at once, the buyer is owed it (refunds payable) until the refund posts."""
    order = big_order(market)
    market.refund(order, "15.99")  # refunded before the cancellation
    with transaction.atomic():
        books.cancellation_post(order_id=order.pk)

    payable = Account.objects.get(kind="refunds_payable")
    assert payable.balance_fen == 15990 - 1599
    for farm in market.farms:
        assert owed(market, farm)["pending"] == "0.00"
    assert books.refundable_fen(order_id=order.pk) == 14391

    market.refund(order, "100.00", key="refund:provider:1")
    market.refund(order, "43.91", key="refund:provider:2")

    payable.refresh_from_db()
    assert payable.balance_fen == 0
    assert Account.objects.get(kind="provider_clearing").balance_fen == 0
    with pytest.raises(Conflict):
        market.refund(order, "0.01")
    call_command("ledger_verify")


def test_a_refund_of_an_order_never_paid_posts_nothing(market):
    order = market.place({0: 1})
    assert market.refund(order, "5.00") is None
    assert not Entry.objects.filter(order_id=order.pk).exists()

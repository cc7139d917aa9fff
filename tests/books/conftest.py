"""A small market for the books tests: two farms, a promoter with a link, a buyer, and a
`Market` that drives the real services (place, pay, ship, deliver, cancel, refund, settle,
pay out) the way the API and the periodic tasks do."""

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from books import selectors as book_selectors
from books import services as books
from checkout import services as checkout
from ledger.models import Account
from orders import services as orders
from orders.models import Order, Shipment
from payments import services as payments
from producers.models import Listing, Producer
from tests.factories import (
    client_for,
    make_address,
    make_link,
    make_listing,
    make_producer,
    make_promoter,
    make_regions,
    make_user,
    make_video,
    promo_visit,
)

_refunds = itertools.count(1)


@pytest.fixture(autouse=True)
def books_settings(settings):
    settings.PAYMENT_SANDBOX_WEBHOOK_SECRET = "test-webhook-secret"
    settings.PAYMENT_PROVIDERS = ["sandbox"]
    settings.PAYMENT_WEBHOOK_TOLERANCE = 300
    settings.SHIPPING_FEE_FLAT = Decimal("10.00")
    settings.SHIPPING_FREE_THRESHOLD = Decimal("99.00")
    settings.ORDER_PAYMENT_TIMEOUT = 30 * 60
    settings.RETURN_WINDOW_DAYS = 7
    settings.PLATFORM_FEE_RATE = Decimal("0.05")
    return settings


class Market:
    """The world of one test: farms with a listing each (open to promotion at 10%), a
    promoter linked to the first farm's listing, a buyer. Rows come from tests/factories."""

    def __init__(self, *, farms: int = 2):
        self.client_for = client_for
        self.buyer = make_user()
        self.farms: list[Producer] = []
        self.listings: list[Listing] = []
        for index in range(farms):
            self.add_farm(price=["12.50", "33.30", "7.99"][index % 3])
        self.promoter = make_promoter(display_name="山货达人")
        video = make_video(owner=self.promoter.user)
        self.link = make_link(video=video, listing=self.listings[0])

    def add_farm(self, *, price: str = "12.50", rate: str = "0.10") -> Producer:
        farm = make_producer(region=make_regions()["taikang"])
        self.farms.append(farm)
        self.listings.append(make_listing(producer=farm, unit="kg", price=price,
                                          stock=100_000, commission_rate=rate))
        return farm

    @property
    def address(self) -> dict:
        return make_address()

    # --- what people do ---------------------------------------------------------------------

    def place(self, quantities: dict[int, int], *, promo: bool = True) -> Order:
        """quantities: farm index -> units of its listing."""
        lines = [{"listing_id": self.listings[i].pk, "quantity": q}
                 for i, q in quantities.items()]
        return checkout.order_place(buyer=self.buyer, lines=lines, shipping_address=self.address,
                                  promo_code=self.link.code if promo else "",
                                  promo_visit=promo_visit(self.link.code) if promo else "")

    def pay(self, order: Order) -> None:
        payments.payment_start(order_id=order.pk, user=self.buyer, method="sandbox")

    def buy(self, quantities: dict[int, int], *, promo: bool = True) -> Order:
        order = self.place(quantities, promo=promo)
        self.pay(order)
        return order

    def cancel(self, order: Order) -> None:
        checkout.order_cancel(order_id=order.pk, user=self.buyer)

    def ship(self, shipment: Shipment) -> None:
        orders.shipment_ship(shipment_id=shipment.pk, user=shipment.producer.user,
                             carrier="顺丰速运", tracking_number=f"SF{shipment.pk:013d}")

    def deliver(self, shipment: Shipment) -> None:
        orders.shipment_confirm(shipment_id=shipment.pk, user=self.buyer)

    def ship_and_deliver(self, order: Order) -> None:
        for shipment in Shipment.objects.filter(order=order).select_related("producer__user"):
            self.ship(shipment)
            self.deliver(shipment)

    def refund(self, order: Order, amount: str, key: str | None = None):
        with transaction.atomic():
            return books.refund_post(order_id=order.pk, amount=Decimal(amount),
                                     key=key or f"refund:test:{next(_refunds)}")

    def settle(self, *, days: int = 8) -> None:
        """What the periodic tasks do once the return window has passed."""
        later = timezone.now() + timedelta(days=days)
        checkout.delivered_money_release(now=later)

    def farm_account(self, farm: Producer) -> Account:
        return Account.objects.get(kind="farm", holder_id=farm.pk, bucket="available")

    def payout(self, farm: Producer, amount: str):
        return books.payout_create(account_id=self.farm_account(farm).pk,
                                   amount=Decimal(amount), staff=None)

    # --- what the books say -----------------------------------------------------------------

    def farm_balance(self, farm: Producer) -> dict:
        return book_selectors.balance(book_selectors.Holder("farm", farm.pk))

    def promoter_balance(self) -> dict:
        return book_selectors.balance(book_selectors.Holder("promoter", self.promoter.pk))


@pytest.fixture
def market(db) -> Market:
    return Market()


def at(moment: datetime):
    """time_machine's destination for `moment` (no ticking, so created_at is exact)."""
    import time_machine

    return time_machine.travel(moment, tick=False)

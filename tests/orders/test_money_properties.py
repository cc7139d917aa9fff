"""Money and stock invariants of checkout over many generated carts (Hypothesis), through
POST /orders and POST /orders/{id}/cancel as a buyer's app sends them."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from producers.models import Listing
from tests.factories import make_listing, make_producer
from tests.strategies import carts

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")


def expected_fee(subtotal: Decimal, django_settings) -> Decimal:
    if subtotal >= Decimal(str(django_settings.SHIPPING_FREE_THRESHOLD)):
        return Decimal("0.00")
    return Decimal(str(django_settings.SHIPPING_FEE_FLAT))


@hypothesis_settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cart=carts())
def test_totals_add_up_per_farm_and_cancelling_gives_back_every_unit(
    cart, buyer_api, place, settings
):
    # each example in its own savepoint, rolled back: the farms and orders do not pile up
    with transaction.atomic():
        farms = [make_producer() for _ in range(3)]
        lines = [(make_listing(producer=farms[farm], price=str(price), stock=50), quantity)
                 for farm, price, quantity in cart]
        response = place(buyer_api, *lines)
        assert response.status_code == 201, response.content
        order = response.json()

        by_listing = {line["listing_id"]: line for line in order["lines"]}
        for listing, quantity in lines:
            line = by_listing[listing.pk]
            assert Decimal(line["unit_price"]) == listing.price
            assert Decimal(line["line_total"]) == (listing.price * quantity).quantize(CENT)

        expected_subtotals: dict[int, Decimal] = {}
        for listing, quantity in lines:
            expected_subtotals[listing.producer_id] = (
                expected_subtotals.get(listing.producer_id, Decimal("0"))
                + listing.price * quantity
            )
        shipments = {s["producer_id"]: s for s in order["shipments"]}
        assert set(shipments) == set(expected_subtotals)
        for producer_id, subtotal in expected_subtotals.items():
            shipment = shipments[producer_id]
            assert Decimal(shipment["subtotal"]) == subtotal
            assert Decimal(shipment["shipping_fee"]) == expected_fee(subtotal, settings)
            assert sorted(shipment["line_ids"]) == sorted(
                line["id"] for line in order["lines"]
                if line["shipment_id"] == shipment["id"])

        subtotal = sum(expected_subtotals.values(), Decimal("0"))
        shipping = sum((Decimal(s["shipping_fee"]) for s in order["shipments"]), Decimal("0"))
        assert Decimal(order["subtotal"]) == subtotal
        assert Decimal(order["shipping_fee"]) == shipping
        assert Decimal(order["total"]) == subtotal + shipping

        stock = dict(Listing.objects.filter(pk__in=[lst.pk for lst, _ in lines])
                     .values_list("pk", "stock"))
        assert all(stock[listing.pk] == 50 - quantity for listing, quantity in lines)

        assert buyer_api.post(f"/orders/{order['id']}/cancel").status_code == 200
        stock = dict(Listing.objects.filter(pk__in=[lst.pk for lst, _ in lines])
                     .values_list("pk", "stock"))
        assert all(stock[listing.pk] == 50 for listing, _ in lines)
        transaction.set_rollback(True)

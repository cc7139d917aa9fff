"""Over generated templates, carts and destinations (Hypothesis): the quote is what the order
charges, to the fen, parcel by parcel; the order's total is its goods plus its parcels' fees;
a cart a template does not send to is refused alike by both, and nothing is taken."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from producers.models import Listing
from tests.factories import make_address, make_listing, make_producer
from tests.freight.conftest import template_put
from tests.strategies import amounts

pytestmark = pytest.mark.django_db

RULE_REGIONS = ["zhejiang", "hangzhou", "xihu", "henan", "taikang", "village"]
NO_SHIP = {"town": {"village"}, "hangzhou": {"xihu"}}  # and the rules they would swallow
DESTINATIONS = ["xihu", "taikang", "town", "village"]


def charges():
    return st.fixed_dictionaries({"units": st.integers(1, 3),
                                  "fee": amounts(min_value="0.00", max_value="30.00")})


@st.composite
def templates(draw):
    no_ship = draw(st.sampled_from([None, *NO_SHIP]))
    allowed = [r for r in RULE_REGIONS if r != no_ship and r not in NO_SHIP.get(no_ship, ())]
    named = draw(st.lists(st.sampled_from(allowed), unique=True, max_size=4))
    free_over = draw(st.sampled_from([[], [{"min_amount": "99.00"}], [{"min_units": 4}]]))
    return {"basis": draw(st.sampled_from(["weight", "piece"])), "named": named,
            "charges": [(draw(charges()), draw(charges())) for _ in named],
            "default_rule": {"first": draw(charges()), "next": draw(charges())},
            "free_over": free_over, "no_ship": no_ship}


# (farm, price, quantity, net weight in grams, on its farm's template if it has one)
LINE = st.tuples(st.integers(0, 2), amounts(max_value="200.00"), st.integers(1, 6),
                 st.integers(1, 12_000), st.sampled_from([True, True, True, False]))
# two farms with a template, the third with one or not
FARM_TEMPLATES = st.tuples(templates(), templates(), templates() | st.none()).map(list)


@hypothesis_settings(max_examples=60, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(farm_templates=FARM_TEMPLATES,
       cart=st.lists(LINE, min_size=1, max_size=5), destination=st.sampled_from(DESTINATIONS))
def test_the_quote_is_what_the_order_charges_and_the_total_adds_up(
        farm_templates, cart, destination, buyer_api, regions, settings):
    settings.SHIPPING_FEE_FLAT, settings.SHIPPING_FREE_THRESHOLD = Decimal("10"), Decimal("99")
    with transaction.atomic():
        farms = [make_producer() for _ in range(3)]
        for farm, spec in zip(farms, farm_templates, strict=True):
            if spec is not None:
                template_put(farm, "t", {
                    "basis": spec["basis"], "default_rule": spec["default_rule"],
                    "rules": [{"regions": [regions[r].pk], "first": first, "next": next_}
                              for r, (first, next_) in zip(spec["named"], spec["charges"],
                                                           strict=True)],
                    "free_over": spec["free_over"],
                    "no_ship": [regions[spec["no_ship"]].pk] if spec["no_ship"] else []})
        lines = []
        for farm, price, quantity, grams, templated in cart:
            named = templated and farm_templates[farm] is not None
            lines.append((make_listing(producer=farms[farm], price=str(price), stock=50,
                                       net_weight_g=grams,
                                       freight_template="t" if named else None), quantity))
        body = {"lines": [{"listing_id": listing.pk, "quantity": q} for listing, q in lines],
                "shipping_address": make_address(region=regions[destination])}

        quote = buyer_api.post("/orders/quote", body)
        order = buyer_api.post("/orders", body)

        event(f"quote {quote.status_code}, "
              f"{sum(lst.freight_template_id is not None for lst, _ in lines)} on templates")
        if quote.status_code == 422:
            assert quote.json()["error"]["code"] == "region_not_served"
            assert order.status_code == 422 and order.json() == quote.json()
            stock = Listing.objects.filter(pk__in=[lst.pk for lst, _ in lines])
            assert set(stock.values_list("stock", flat=True)) == {50}
        else:
            assert (quote.status_code, order.status_code) == (200, 201), order.content
            quoted, placed = quote.json(), order.json()
            assert [(s["producer_id"], s["subtotal"], s["shipping_fee"])
                    for s in quoted["shipments"]] == [
                (s["producer_id"], s["subtotal"], s["shipping_fee"])
                for s in placed["shipments"]]
            for key in ("subtotal", "shipping_fee", "total"):
                assert quoted[key] == placed[key]
            fees = sum((Decimal(s["shipping_fee"]) for s in placed["shipments"]), Decimal(0))
            goods = sum((Decimal(line["line_total"]) for line in placed["lines"]), Decimal(0))
            assert Decimal(placed["shipping_fee"]) == fees
            assert Decimal(placed["subtotal"]) == goods
            assert Decimal(placed["total"]) == goods + fees
            assert all(Decimal(s["shipping_fee"]) >= 0 for s in placed["shipments"])
        transaction.set_rollback(True)

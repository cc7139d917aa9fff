"""The order scenario's ceiling (bench/pgbench.py) runs against this schema and keeps the app's
rules: no listing below zero, every order whole, no buyer past the unpaid-order limit.
PostgreSQL only (its script is PostgreSQL's), and only where pgbench is installed."""

import shutil

import pytest
from django.db import connection
from django.db.models import Count, Sum

from bench import pgbench
from orders.models import Order, OrderEvent, OrderLine, Shipment
from producers.models import Listing
from tests.factories import make_listing, make_producer, make_regions, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(shutil.which("pgbench") is None, reason="needs pgbench")]


def test_the_pgbench_order_transaction_runs_and_keeps_the_rules(settings):
    settings.ORDER_MAX_UNPAID = 3
    region = make_regions()["village"]
    listings = [make_listing(producer=make_producer(), price="12.50", stock=40)
                for _ in range(8)]
    buyers = [make_user() for _ in range(5)]
    db = connection.settings_dict
    url = (f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
           f"{db['PORT'] or 5432}/{db['NAME']}")

    result = pgbench.run(url, listing_ids=[listing.pk for listing in listings],
                         buyer_ids=[buyer.pk for buyer in buyers], region_id=region.pk,
                         clients=4, duration=2)

    assert result.transactions > 0 and result.failed == 0
    orders = Order.objects.filter(buyer__in=buyers)
    assert 0 < orders.count() <= 3 * len(buyers)  # the limit held
    assert max(orders.values("buyer").annotate(n=Count("id")).values_list("n", flat=True)) <= 3
    assert OrderEvent.objects.filter(order__in=orders).count() == orders.count()
    for order in orders:
        lines = OrderLine.objects.filter(order=order)
        shipments = Shipment.objects.filter(order=order)
        assert lines.count() in (1, 2) and shipments.count() == lines.count()
        assert lines.aggregate(s=Sum("line_total"))["s"] == order.subtotal
    sold = OrderLine.objects.filter(order__in=orders).aggregate(s=Sum("quantity"))["s"]
    left = Listing.objects.filter(pk__in=[lst.pk for lst in listings]).aggregate(
        s=Sum("stock"))["s"]
    assert sold + left == 40 * len(listings)

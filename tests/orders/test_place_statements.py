"""Placing an order runs a constant, small number of SQL statements, and answers with the order
exactly as reading it back would.

The count is the whole request's, as the bench's probe counts it (CaptureQueriesContext; the
bearer token's lookup included). Django 5.2 logs the transaction's BEGIN and COMMIT among the
captured queries too (`debug_transaction`), so the request's 8 statements are 10 entries there.
The tests run in their own transactions (`transaction=True`), so that the request's transaction
is the outermost one, as in production (BEGIN/COMMIT), and not a savepoint inside the test's.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benefit.models import LinePledge
from checkout import services as checkout
from freight.schemas import FreightTemplateIn
from orders import services
from orders.models import Order
from producers import services as producer_services
from producers.models import Listing
from tests.factories import (
    client_for,
    make_address,
    make_listing,
    make_producer,
    make_project,
)

pytestmark = pytest.mark.django_db(transaction=True)

# token + user; buyer lock with the region; listings locked with the unpaid counts; the stock
# UPDATE; the order, its shipments, its lines, its event
STATEMENTS = 8
# and the transaction's BEGIN and COMMIT, which CaptureQueriesContext lists with them
CAPTURED = STATEMENTS + 2


def statements(client, place, *lines, **extra) -> tuple[int, list[str], dict]:
    """(statements other than BEGIN and COMMIT, the first word of every captured one, the
    answer's body)."""
    with CaptureQueriesContext(connection) as captured:
        response = place(client, *lines, **extra)
    assert response.status_code == 201, response.content
    verbs = [q["sql"].split()[0] for q in captured.captured_queries]
    assert verbs.count("BEGIN") == verbs.count("COMMIT") == 1, verbs
    return len(verbs) - 2, verbs, response.json()


@pytest.fixture
def farms_with_listings(regions, categories):
    def make(farms: int, per_farm: int) -> list[Listing]:
        listings = []
        for f in range(farms):
            farm = make_producer(name=f"第{f}号农场")
            listings += [make_listing(producer=farm, title=f"农产品{f}-{n}", price="12.50",
                                      stock=100) for n in range(per_farm)]
        return listings

    return make


def test_a_two_farm_order_runs_at_most_8_statements(buyer_api, place, two_farms,
                                                     django_assert_max_num_queries):
    with django_assert_max_num_queries(CAPTURED):
        response = place(buyer_api, (two_farms["apples"], 2), (two_farms["tea"], 1))
    assert response.status_code == 201, response.content
    assert len(response.json()["shipments"]) == 2


def test_the_statements_are_the_locks_one_stock_update_and_one_insert_per_table(
        buyer_api, place, two_farms):
    count, verbs, _ = statements(buyer_api, place, (two_farms["apples"], 2),
                                 (two_farms["tea"], 1))
    assert verbs == ["SELECT", "BEGIN", "SELECT", "SELECT", "UPDATE",
                     "INSERT", "INSERT", "INSERT", "INSERT", "COMMIT"]
    assert count == STATEMENTS


def test_the_count_is_the_same_for_2_lines_and_for_10_across_five_farms(
        buyer_api, place, farms_with_listings, django_assert_num_queries):
    listings = farms_with_listings(5, 2)
    two, _, body = statements(buyer_api, place, (listings[0], 1), (listings[2], 1))
    assert len(body["lines"]) == 2 and len(body["shipments"]) == 2
    ten, _, body = statements(buyer_api, place, *[(listing, 1) for listing in listings])
    assert len(body["lines"]) == 10 and len(body["shipments"]) == 5
    assert two == ten == STATEMENTS
    with django_assert_num_queries(CAPTURED):
        place(buyer_api, *[(listing, 2) for listing in reversed(listings)])


def test_freight_templates_add_no_statement_they_come_with_the_listing_lock(
        buyer_api, place, two_farms, regions):
    """The templates' rules are read by the listings' lock (a join): a two-farm order on
    templates is the same eight statements, and its parcels are priced by them."""
    for farm, listing, basis in ((two_farms["farm_a"], two_farms["apples"], "weight"),
                                 (two_farms["farm_b"], two_farms["tea"], "piece")):
        producer_services.freight_template_put(
            producer=farm, name="运费", **FreightTemplateIn.model_validate({
                "basis": basis, "rules": [{"regions": [regions["zhejiang"].pk],
                                           "first": {"units": 1, "fee": "7.00"},
                                           "next": {"units": 1, "fee": "3.00"}}],
                "default_rule": {"first": {"units": 1, "fee": "20.00"},
                                 "next": {"units": 1, "fee": "9.00"}}}).dict())
        producer_services.listing_update(listing=listing, net_weight_g=1500,
                                         freight_template="运费")
    count, verbs, body = statements(buyer_api, place, (two_farms["apples"], 2),
                                    (two_farms["tea"], 1))
    assert count == STATEMENTS
    assert verbs == ["SELECT", "BEGIN", "SELECT", "SELECT", "UPDATE",
                     "INSERT", "INSERT", "INSERT", "INSERT", "COMMIT"]
    # to 西湖区: apples 3 kg = 7.00 + 2 x 3.00; tea 1 piece = 7.00
    assert [s["shipping_fee"] for s in body["shipments"]] == ["13.00", "7.00"]


def test_an_idempotency_key_adds_two_statements(buyer_api, place, two_farms,
                                                 django_assert_num_queries):
    # the key's row claimed (one INSERT ... ON CONFLICT DO NOTHING), the answer stored (UPDATE)
    with django_assert_num_queries(CAPTURED + 2):
        response = place(buyer_api, (two_farms["apples"], 2), (two_farms["tea"], 1),
                         headers={"Idempotency-Key": "checkout-1"})
    assert response.status_code == 201
    # a replay: the token, then BEGIN, the key's INSERT that finds it taken, its row, COMMIT
    with django_assert_num_queries(5):
        again = place(buyer_api, (two_farms["apples"], 2), (two_farms["tea"], 1),
                      headers={"Idempotency-Key": "checkout-1"})
    assert again.json() == response.json()


def test_a_pledge_adds_only_its_own_insert(buyer_api, place, two_farms):
    project = make_project()
    farm = two_farms["apples"].producer
    assert client_for(farm.user).put(
        f"/listings/{two_farms['apples'].pk}/benefit",
        {"project_id": project.pk, "kind": "fixed", "value": "1.00"}).status_code == 200

    count, verbs, body = statements(buyer_api, place, (two_farms["apples"], 3),
                                    (two_farms["tea"], 1))
    assert count == STATEMENTS + 1 and verbs[-2:] == ["INSERT", "COMMIT"]
    pledge = LinePledge.objects.get(order_id=body["id"])
    assert (pledge.amount, pledge.line.listing_id) == (Decimal("3.00"), two_farms["apples"].pk)


def test_the_answer_is_the_order_as_read_back(buyer_api, place, two_farms, regions):
    presale = make_listing(
        producer=two_farms["farm_b"], title="2026 新季龙井（预售）", price="33.30", stock=40,
        presale={"closes_at": timezone.now() + timedelta(days=5),
                 "ships_from": timezone.localdate() + timedelta(days=6),
                 "ships_by": timezone.localdate() + timedelta(days=20),
                 "expected_quantity": 40})
    placed = place(buyer_api, (two_farms["tea"], 1), (two_farms["apples"], 3), (presale, 2),
                   promo_code="  nosuchcode ", note=" 请周末送达 ")
    assert placed.status_code == 201, placed.content
    read = buyer_api.get(f"/orders/{placed.json()['id']}")
    assert placed.json() == read.json()
    assert [line["ships_by"] for line in placed.json()["lines"]].count(None) == 2


def test_a_taken_order_number_is_drawn_again_without_a_savepoint(buyer, two_farms, regions,
                                                                  monkeypatch):
    taken = checkout.order_place(buyer=buyer, shipping_address=make_address(),
                                 lines=[{"listing_id": two_farms["apples"].pk, "quantity": 1}])
    numbers = iter([taken.number, taken.number, "SH20261201FRESH2"])
    monkeypatch.setattr(services, "_new_number", lambda: next(numbers))
    with CaptureQueriesContext(connection) as captured:
        order = checkout.order_place(buyer=buyer, shipping_address=make_address(),
                                     lines=[{"listing_id": two_farms["tea"].pk, "quantity": 1}])
    assert order.number == "SH20261201FRESH2"
    assert Order.objects.get(pk=order.pk).number == order.number
    verbs = [q["sql"].split()[0] for q in captured.captured_queries]
    # three draws of the number (two find it taken), then its shipment, line and event
    assert "SAVEPOINT" not in verbs and verbs.count("INSERT") == 6


def test_every_number_taken_is_an_error_and_nothing_is_kept(buyer, two_farms, regions,
                                                            monkeypatch):
    taken = checkout.order_place(buyer=buyer, shipping_address=make_address(),
                                 lines=[{"listing_id": two_farms["apples"].pk, "quantity": 1}])
    monkeypatch.setattr(services, "_new_number", lambda: taken.number)
    with pytest.raises(IntegrityError):
        checkout.order_place(buyer=buyer, shipping_address=make_address(),
                             lines=[{"listing_id": two_farms["tea"].pk, "quantity": 1}])
    assert Order.objects.count() == 1
    assert Listing.objects.get(pk=two_farms["tea"].pk).stock == 20


def test_stock_that_moved_under_its_lock_ends_the_transaction_instead_of_a_retryable_shortage():
    """stock_take checks the locked rows, then takes with one UPDATE. Should the UPDATE ever
    find fewer rows than it checked, part of the stock may already be taken: a shortage would
    be retried in the same transaction (after expiring overdue orders) and take it twice, so it
    is a 503 that ends the transaction, and nothing is left taken."""
    from django.db import transaction

    from marketplace.errors import InsufficientStock, ServiceUnavailable
    from orders.stock import listings_lock, stock_take

    apples = make_listing(stock=5)
    pears = make_listing(stock=5)
    quantities = {apples.pk: 2, pears.pk: 2}
    with pytest.raises(ServiceUnavailable) as caught, transaction.atomic():
        seen = listings_lock(list(quantities))
        Listing.objects.filter(pk=pears.pk).update(stock=1)  # behind the rows it checked
        stock_take(quantities, seen)
    assert not isinstance(caught.value, InsufficientStock)
    assert caught.value.code == "stock_moved"
    # the transaction is gone, its UPDATEs with it (the one behind the lock's back too)
    assert dict(Listing.objects.filter(pk__in=quantities).values_list("pk", "stock")) == {
        apples.pk: 5, pears.pk: 5}

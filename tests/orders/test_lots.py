"""Lots to lines: a farm names the harvest lots it packed; the buyer's order shows each line's
trace codes, the trace page what left the lot; a lot never gives out more than it holds."""

import pytest

from checkout.services import order_place
from orders.models import LineLot, Order, Shipment
from orders.services import shipment_ship
from payments.services import payment_start as order_pay
from producers.models import Batch
from tests.concurrency import run_concurrently
from tests.factories import make_address, make_batch, make_listing, make_user

pytestmark = pytest.mark.django_db

SF = {"carrier": "顺丰", "tracking_number": "SF1234567890123"}


def paid_order(buyer, *lines) -> Order:
    order = order_place(buyer=buyer, shipping_address=make_address(),
                        lines=[{"listing_id": lst.pk, "quantity": q} for lst, q in lines])
    order_pay(order_id=order.pk, user=buyer, method="sandbox")
    return order


@pytest.fixture
def lots(two_farms) -> dict:
    apples = two_farms["apples"]
    return {"small": make_batch(listing=apples, lot_code="A-SMALL", quantity=5),
            "big": make_batch(listing=apples, lot_code="A-BIG", quantity=100),
            "unsized": make_batch(listing=apples, lot_code="A-OPEN"),
            "tea": make_batch(listing=two_farms["tea"], lot_code="T-1", quantity=50)}


@pytest.fixture
def order(buyer, two_farms) -> Order:
    return paid_order(buyer, (two_farms["apples"], 3), (two_farms["tea"], 1))


def line_of(order, listing):
    return order.lines.get(listing=listing)


def ship(two_farms, order, lots, farm="a"):
    parcel = order.shipments.get(producer=two_farms[f"farm_{farm}"])
    return two_farms[f"api_{farm}"].post(f"/shipments/{parcel.pk}/ship", {**SF, "lots": lots})


def test_shipping_names_the_lots_the_buyer_sees_their_trace_codes(buyer_api, two_farms, lots,
                                                                  order, api):
    line = line_of(order, two_farms["apples"])

    response = ship(two_farms, order, [
        {"line_id": line.pk, "batch_id": lots["small"].pk, "quantity": 2},
        {"line_id": line.pk, "batch_id": lots["big"].pk, "quantity": 1},
    ])

    assert response.status_code == 200, response.content
    packed = response.json()["lines"][0]["lots"]
    assert [(lot["lot_code"], lot["quantity"]) for lot in packed] == [
        ("A-SMALL", 2), ("A-BIG", 1)]
    lines = {ln["listing_id"]: ln for ln in buyer_api.get(f"/orders/{order.pk}").json()["lines"]}
    assert lines[two_farms["apples"].pk]["trace_codes"] == [
        lots["small"].trace_code, lots["big"].trace_code]
    assert lines[two_farms["tea"].pk]["trace_codes"] == []
    # the trace page and its JSON count what left the lot
    assert api.get(f"/api/v1/trace/{lots['small'].trace_code}").json()["batch"]["shipped"] == 2
    page = api.get(f"/trace/{lots['small'].trace_code}").content.decode()
    assert "已发货" in page and "2 千克（共 5 千克）" in page
    listing = api.get(f"/listings/{two_farms['apples'].pk}").json()
    assert {b["lot_code"]: b["shipped"] for b in listing["batches"]} == {
        "A-SMALL": 2, "A-BIG": 1, "A-OPEN": 0}


def test_the_same_lot_twice_on_a_line_is_added_up(two_farms, lots, order):
    line = line_of(order, two_farms["apples"])

    response = ship(two_farms, order, [
        {"line_id": line.pk, "batch_id": lots["big"].pk, "quantity": 1},
        {"line_id": line.pk, "batch_id": lots["big"].pk, "quantity": 2},
    ])

    assert response.status_code == 200, response.content
    assert list(LineLot.objects.values_list("batch_id", "quantity")) == [(lots["big"].pk, 3)]


def test_a_lot_of_unknown_size_never_runs_out(two_farms, lots, order):
    line = line_of(order, two_farms["apples"])

    response = ship(two_farms, order, [
        {"line_id": line.pk, "batch_id": lots["unsized"].pk, "quantity": 3}])

    assert response.status_code == 200, response.content
    lots["unsized"].refresh_from_db()
    assert lots["unsized"].shipped == 3


def bad_lots(two_farms, lots, order):
    apples = line_of(order, two_farms["apples"])
    tea = line_of(order, two_farms["tea"])
    other_apples = make_listing(producer=two_farms["farm_a"], title="黄元帅苹果")
    other_lot = make_batch(listing=other_apples, quantity=10)
    return {
        # a lot of another listing, the farm's own or another farm's
        "another listing's lot": ([{"line_id": apples.pk, "batch_id": other_lot.pk,
                                    "quantity": 3}], "lots.0.batch_id"),
        "another farm's lot": ([{"line_id": apples.pk, "batch_id": lots["tea"].pk,
                                 "quantity": 3}], "lots.0.batch_id"),
        "no such lot": ([{"line_id": apples.pk, "batch_id": 987654, "quantity": 3}],
                        "lots.0.batch_id"),
        # a line of the other farm's parcel, or of no order
        "another parcel's line": ([{"line_id": tea.pk, "batch_id": lots["tea"].pk,
                                    "quantity": 1}], "lots.0.line_id"),
        "no such line": ([{"line_id": 987654, "batch_id": lots["big"].pk, "quantity": 3}],
                         "lots.0.line_id"),
        # a line named is named whole: 3 ship, 2 are traced
        "too few": ([{"line_id": apples.pk, "batch_id": lots["big"].pk, "quantity": 2}],
                    "lots.0.quantity"),
        "too many": ([{"line_id": apples.pk, "batch_id": lots["big"].pk, "quantity": 2},
                      {"line_id": apples.pk, "batch_id": lots["small"].pk, "quantity": 2}],
                     "lots.0.quantity"),
        "no units": ([{"line_id": apples.pk, "batch_id": lots["big"].pk, "quantity": 0}],
                     "lots.0.quantity"),
        "a string for an id": ([{"line_id": str(apples.pk), "batch_id": lots["big"].pk,
                                 "quantity": 3}], "lots.0.line_id"),
    }


@pytest.mark.parametrize("case", [
    "another listing's lot", "another farm's lot", "no such lot", "another parcel's line",
    "no such line", "too few", "too many", "no units", "a string for an id"])
def test_bad_lots_are_422_and_nothing_ships(two_farms, lots, order, case):
    body, field = bad_lots(two_farms, lots, order)[case]

    response = ship(two_farms, order, body)

    assert response.status_code == 422, response.content
    assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert order.shipments.get(producer=two_farms["farm_a"]).status == "pending"
    assert not LineLot.objects.exists()
    assert set(Batch.objects.values_list("shipped", flat=True)) == {0}


def test_more_than_a_lot_holds_in_all_is_409_lot_exhausted(buyer, two_farms, lots, order):
    # given 3 of the 5 in the small lot already shipped
    line = line_of(order, two_farms["apples"])
    assert ship(two_farms, order, [
        {"line_id": line.pk, "batch_id": lots["small"].pk, "quantity": 3}]).status_code == 200
    second = paid_order(buyer, (two_farms["apples"], 3))
    second_line = line_of(second, two_farms["apples"])

    # when 3 more would ship from it
    response = ship(two_farms, second, [
        {"line_id": second_line.pk, "batch_id": lots["small"].pk, "quantity": 3}])

    # then 409 with what is left, and nothing of the second parcel changed
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "lot_exhausted"
    assert error["details"] == [{"batch_id": lots["small"].pk, "lot_code": "A-SMALL",
                                 "available": 2, "requested": 3}]
    assert second.shipments.get().status == "pending"
    lots["small"].refresh_from_db()
    assert lots["small"].shipped == 3
    assert LineLot.objects.filter(line=second_line).count() == 0
    # the rest from the small lot and one from the big one is fine
    assert ship(two_farms, second, [
        {"line_id": second_line.pk, "batch_id": lots["small"].pk, "quantity": 2},
        {"line_id": second_line.pk, "batch_id": lots["big"].pk, "quantity": 1},
    ]).status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parcels_racing_for_the_last_units_of_a_lot_take_each_unit_once(two_farms):
    # given a lot of 3 and six paid orders of one unit each
    apples = two_farms["apples"]
    lot = make_batch(listing=apples, quantity=3)
    orders = [paid_order(make_user(), (apples, 1)) for _ in range(6)]
    farmer = two_farms["farm_a"].user

    def ship_one(order):
        parcel = Shipment.objects.get(order=order)
        line = order.lines.get()
        return shipment_ship(shipment_id=parcel.pk, user=farmer, **SF,
                             lots=[{"line_id": line.pk, "batch_id": lot.pk, "quantity": 1}])

    # when the farm's six packers ship at once
    results = run_concurrently(*[lambda o=o: ship_one(o) for o in orders])

    # then three ship from the lot and three are told it ran out
    shipped = [r for r in results if isinstance(r, Shipment)]
    refused = [r for r in results if not isinstance(r, Shipment)]
    assert len(shipped) == 3, results
    assert [getattr(r, "code", r) for r in refused] == ["lot_exhausted"] * 3
    lot.refresh_from_db()
    assert lot.shipped == 3
    assert sum(LineLot.objects.filter(batch=lot).values_list("quantity", flat=True)) == 3
    assert Shipment.objects.filter(status="shipped").count() == 3

"""Cooperatives and their members: the members' CRUD, lots grown by a member, each member's
sales, member names on trace pages and never a member's phone in public."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from checkout.services import order_place
from payments.services import payment_start as order_pay
from producers.models import Batch, Member, Producer
from tests.factories import (
    client_for,
    make_address,
    make_batch,
    make_listing,
    make_member,
    make_producer,
    make_user,
)

pytestmark = pytest.mark.django_db

PHONE = "13712345678"


@pytest.fixture
def coop(regions) -> dict:
    producer = make_producer(kind=Producer.Kind.COOPERATIVE, name="二郎庙苹果合作社")
    apples = make_listing(producer=producer, title="合作社红富士", price="12.50", stock=500)
    return {"producer": producer, "api": client_for(producer.user), "apples": apples}


@pytest.fixture
def farmer_api(regions):
    return client_for(make_producer(kind=Producer.Kind.FARMER).user)


def test_a_cooperative_records_a_member(coop, regions):
    response = coop["api"].post("/producers/me/members", {
        "name": "  王秀英 ", "phone": PHONE, "region_id": regions["village"].pk,
        "joined_on": "2025-03-01"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "王秀英"
    assert body["phone"] == PHONE  # the cooperative's own view
    assert body["region"]["path"] == regions["village"].path
    assert (body["joined_on"], body["active"]) == ("2025-03-01", True)
    # joined today unless told
    second = coop["api"].post("/producers/me/members", {"name": "李大山"}).json()
    assert second["joined_on"] == timezone.localdate().isoformat()
    assert second["region"] is None


@pytest.mark.parametrize(("method", "path", "body"), [
    ("post", "/producers/me/members", {"name": "王秀英"}),
    ("get", "/producers/me/members", None),
    ("patch", "/producers/me/members/{id}", {"name": "王秀英"}),
    ("delete", "/producers/me/members/{id}", None),
    ("get", "/producers/me/members/{id}/sales?period_start=2026-01-01&period_end=2026-01-31",
     None),
])
def test_a_farmer_is_403_cooperative_required_and_a_buyer_producer_required(
        coop, farmer_api, buyer_api, method, path, body):
    member = make_member(producer=coop["producer"])
    url = path.format(id=member.pk)
    for client, code in ((farmer_api, "cooperative_required"),
                         (buyer_api, "producer_required")):
        call = getattr(client, method)
        response = call(url, body) if body is not None else call(url)
        assert response.status_code == 403, (url, response.content)
        assert response.json()["error"]["code"] == code
    assert Member.objects.count() == 1


def test_members_are_a_cursor_list_in_a_constant_number_of_queries(coop):
    make_member(producer=coop["producer"], name="第一户")
    make_member(producer=make_producer(kind=Producer.Kind.COOPERATIVE))  # another co-op's
    with CaptureQueriesContext(connection) as one:
        first = coop["api"].get("/producers/me/members")
    assert [m["name"] for m in first.json()["items"]] == ["第一户"]
    for i in range(24):
        make_member(producer=coop["producer"], name=f"第{i + 2}户")
    with CaptureQueriesContext(connection) as twenty:
        page = coop["api"].get("/producers/me/members", {"limit": 20}).json()
    assert len(page["items"]) == 20 and page["next_cursor"]
    assert len(one.captured_queries) == len(twenty.captured_queries)
    rest = coop["api"].get("/producers/me/members",
                           {"limit": 20, "cursor": page["next_cursor"]}).json()
    assert len(rest["items"]) == 5 and rest["next_cursor"] is None
    bad = coop["api"].get("/producers/me/members", {"cursor": "not-a-cursor"})
    assert bad.status_code == 400


def test_a_member_is_changed_and_another_cooperatives_member_is_404(coop, regions):
    member = make_member(producer=coop["producer"], name="王秀英")
    other = make_member(producer=make_producer(kind=Producer.Kind.COOPERATIVE))

    response = coop["api"].patch(f"/producers/me/members/{member.pk}",
                                 {"name": "王秀英（东坡）", "region_id": regions["town"].pk})

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "王秀英（东坡）"
    assert response.json()["region"]["id"] == regions["town"].pk
    for method in ("patch", "delete"):
        missing = getattr(coop["api"], method)(f"/producers/me/members/{other.pk}",
                                               {"name": "x"} if method == "patch" else None)
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "member_not_found"
    assert coop["api"].get(f"/producers/me/members/{other.pk}/sales",
                           {"period_start": "2026-01-01", "period_end": "2026-01-02"}
                           ).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "   "}, "name"),
    ({"name": ""}, "name"),
    ({"name": "王", "phone": "call me"}, "phone"),
    ({"name": "王", "region_id": 999999}, "region_id"),
    ({"name": "王", "joined_on": "2999-01-01"}, "joined_on"),
    ({"name": "王", "joined_on": "1999-12-31"}, "joined_on"),
    ({"name": "王", "joined_on": "not a day"}, "joined_on"),
    ({"name": "王" * 101}, "name"),
])
def test_bad_member_fields_are_422(coop, body, field):
    response = coop["api"].post("/producers/me/members", body)

    assert response.status_code == 422, response.content
    assert field in [d["field"] for d in response.json()["error"]["details"]]
    member = make_member(producer=coop["producer"], name="王秀英")
    patch = coop["api"].patch(f"/producers/me/members/{member.pk}", body)
    assert patch.status_code == 422, patch.content
    member.refresh_from_db()
    assert member.name == "王秀英"


def test_a_member_without_lots_is_deleted_one_with_lots_deactivated(coop):
    newcomer = make_member(producer=coop["producer"], name="新社员")
    grower = make_member(producer=coop["producer"], name="老社员")
    make_batch(listing=coop["apples"], member_id=grower.pk, quantity=50)

    assert coop["api"].delete(f"/producers/me/members/{newcomer.pk}").status_code == 204
    assert coop["api"].delete(f"/producers/me/members/{grower.pk}").status_code == 204

    assert not Member.objects.filter(pk=newcomer.pk).exists()
    listed = coop["api"].get("/producers/me/members").json()["items"]
    assert [(m["name"], m["active"]) for m in listed] == [("老社员", False)]
    # an inactive member grows no new lots; made active again, it does
    refused = coop["api"].post(f"/listings/{coop['apples'].pk}/batches", {
        "harvested_on": "2026-10-01", "member_id": grower.pk})
    assert refused.status_code == 422
    assert coop["api"].patch(f"/producers/me/members/{grower.pk}",
                             {"active": True}).json()["active"] is True
    assert coop["api"].post(f"/listings/{coop['apples'].pk}/batches", {
        "harvested_on": "2026-10-01", "member_id": grower.pk}).status_code == 201


def test_a_lot_names_its_grower_only_among_the_cooperatives_members(coop, regions):
    member = make_member(producer=coop["producer"], name="王秀英")
    other_coop = make_producer(kind=Producer.Kind.COOPERATIVE)
    stranger = make_member(producer=other_coop)
    farmer = make_producer(kind=Producer.Kind.FARMER)
    farm_listing = make_listing(producer=farmer)

    made = coop["api"].post(f"/listings/{coop['apples'].pk}/batches", {
        "harvested_on": "2026-10-01", "quantity": 80, "member_id": member.pk})
    someone_elses = coop["api"].post(f"/listings/{coop['apples'].pk}/batches", {
        "harvested_on": "2026-10-01", "member_id": stranger.pk})
    farmers = client_for(farmer.user).post(f"/listings/{farm_listing.pk}/batches", {
        "harvested_on": "2026-10-01", "member_id": member.pk})

    assert made.status_code == 201, made.content
    assert made.json()["member"] == {"id": member.pk, "name": "王秀英"}
    for refused in (someone_elses, farmers):
        assert refused.status_code == 422, refused.content
        assert [d["field"] for d in refused.json()["error"]["details"]] == ["member_id"]
    assert Batch.objects.count() == 1


def _ship_from(coop, lots_and_quantities, buyer=None):
    """A paid order of the co-op's apples shipped from the given (lot, quantity) pairs."""
    buyer = buyer or make_user()
    total = sum(q for _, q in lots_and_quantities)
    order = order_place(buyer=buyer, shipping_address=make_address(),
                        lines=[{"listing_id": coop["apples"].pk, "quantity": total}])
    order_pay(order_id=order.pk, user=buyer, method="sandbox")
    line = order.lines.get()
    response = coop["api"].post(f"/shipments/{order.shipments.get().pk}/ship", {
        "carrier": "中通", "tracking_number": "731009988776",
        "lots": [{"line_id": line.pk, "batch_id": lot.pk, "quantity": q}
                 for lot, q in lots_and_quantities]})
    assert response.status_code == 200, response.content
    return order


def test_member_sales_per_lot_and_in_total(coop):
    wang = make_member(producer=coop["producer"], name="王秀英")
    li = make_member(producer=coop["producer"], name="李大山")
    wang_early = make_batch(listing=coop["apples"], member_id=wang.pk, quantity=100,
                            lot_code="W-1")
    wang_late = make_batch(listing=coop["apples"], member_id=wang.pk, quantity=100,
                           lot_code="W-2")
    li_lot = make_batch(listing=coop["apples"], member_id=li.pk, quantity=100, lot_code="L-1")
    _ship_from(coop, [(wang_early, 3), (li_lot, 2)])
    _ship_from(coop, [(wang_early, 1), (wang_late, 4)])
    today = timezone.localdate()
    period = {"period_start": (today - timedelta(days=6)).isoformat(),
              "period_end": today.isoformat()}

    response = coop["api"].get(f"/producers/me/members/{wang.pk}/sales", period)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["member"] == {"id": wang.pk, "name": "王秀英"}
    assert [(lot["lot_code"], lot["quantity"], lot["amount"]) for lot in body["lots"]] == [
        ("W-1", 4, "50.00"), ("W-2", 4, "50.00")]
    assert body["total"] == {"quantity": 8, "amount": "100.00"}
    assert body["currency"] == "CNY"
    li_sales = coop["api"].get(f"/producers/me/members/{li.pk}/sales", period).json()
    assert li_sales["total"] == {"quantity": 2, "amount": "25.00"}
    # a period before anything shipped holds nothing
    before = coop["api"].get(f"/producers/me/members/{wang.pk}/sales", {
        "period_start": "2025-01-01", "period_end": "2025-01-31"}).json()
    assert before["lots"] == [] and before["total"] == {"quantity": 0, "amount": "0.00"}


@pytest.mark.parametrize(("query", "field"), [
    ({"period_start": "2026-02-01", "period_end": "2026-01-01"}, "period_end"),
    ({"period_start": "2025-01-01", "period_end": "2026-12-31"}, "period_end"),
    ({"period_start": "1999-01-01", "period_end": "1999-01-31"}, "period_start"),
    ({"period_start": "2026-01-01"}, "period_end"),
    ({"period_start": "yesterday", "period_end": "2026-01-31"}, "period_start"),
])
def test_a_bad_sales_period_is_422(coop, query, field):
    member = make_member(producer=coop["producer"])

    response = coop["api"].get(f"/producers/me/members/{member.pk}/sales", query)

    assert response.status_code == 422, response.content
    assert field in [d["field"] for d in response.json()["error"]["details"]]


def test_member_names_show_on_trace_pages_and_phones_never_in_public(coop, api):
    member = make_member(producer=coop["producer"], name="王秀英", phone=PHONE)
    lot = make_batch(listing=coop["apples"], member_id=member.pk, quantity=100)
    _ship_from(coop, [(lot, 2)])

    trace_json = api.get(f"/api/v1/trace/{lot.trace_code}")
    trace_page = api.get(f"/trace/{lot.trace_code}")
    listing = api.get(f"/listings/{coop['apples'].pk}")
    public = [trace_json, trace_page, listing, api.get(f"/l/{coop['apples'].pk}"),
              api.get(f"/producers/{coop['producer'].pk}"), api.get("/listings"),
              api.get("/producers")]

    assert trace_json.json()["batch"]["member"] == {"id": member.pk, "name": "王秀英"}
    assert "王秀英" in trace_page.content.decode()
    assert [b["member"] for b in listing.json()["batches"]] == [
        {"id": member.pk, "name": "王秀英"}]
    for response in public:
        assert response.status_code == 200
        assert PHONE not in response.content.decode(), response.request["PATH_INFO"]

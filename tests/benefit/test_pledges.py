"""A farm pledges per listing (PUT/DELETE /listings/{id}/benefit), shown on cards, the listing,
the trace page and the listing's page, filtered with ?benefit=true, snapshotted on order lines
when the order is placed; a promoter pledges a percent of their own commission."""

from datetime import timedelta

import pytest
from django.utils import timezone

from benefit.models import LinePledge, Project
from tests.factories import client_for, make_batch, make_listing, make_project, make_user

pytestmark = pytest.mark.django_db


def put(world, listing, body):
    return client_for(listing.producer.user).put(f"/listings/{listing.pk}/benefit", body)


def test_a_pledge_answers_the_listing_with_its_benefit(world):
    body = world.pledge(kind="fixed", value="0.10")

    assert body["id"] == world.listings[0].pk
    assert body["benefit"] == {"project_id": world.project.pk,
                               "project_title": "二郎庙村小学免费午餐", "kind": "fixed",
                               "value": "0.10"}


def test_cards_and_the_listing_show_the_pledge_and_the_filter_finds_it(api, world):
    world.pledge(kind="percent", value="5")

    cards = {c["id"]: c for c in api.get("/listings").json()["items"]}
    pledged = api.get("/listings?benefit=true").json()["items"]
    others = api.get("/listings?benefit=false").json()["items"]

    assert cards[world.listings[0].pk]["benefit"]["kind"] == "percent"
    assert cards[world.listings[0].pk]["benefit"]["value"] == "5.00"
    assert cards[world.listings[1].pk]["benefit"] is None
    assert [c["id"] for c in pledged] == [world.listings[0].pk]
    assert world.listings[0].pk not in [c["id"] for c in others]
    detail = api.get(f"/listings/{world.listings[0].pk}").json()
    assert detail["benefit"]["project_id"] == world.project.pk


def test_delete_stops_the_pledge(api, world):
    world.pledge()
    listing = world.listings[0]

    response = client_for(listing.producer.user).delete(f"/listings/{listing.pk}/benefit")

    assert response.status_code == 204
    assert api.get(f"/listings/{listing.pk}").json()["benefit"] is None


def test_someone_elses_listing_is_404(world):
    other = world.listings[1]

    response = client_for(world.farms[0].user).put(
        f"/listings/{other.pk}/benefit",
        {"project_id": world.project.pk, "kind": "fixed", "value": "1.00"})
    removed = client_for(world.farms[0].user).delete(f"/listings/{other.pk}/benefit")

    assert response.status_code == 404
    assert removed.status_code == 404


@pytest.mark.parametrize("kind, value", [
    ("percent", "0.09"), ("percent", "0"), ("percent", "100.01"), ("percent", "-5"),
    ("percent", "1.005"),  # finer than two places
    ("fixed", "12.51"),  # more than the unit price (12.50)
    ("fixed", "0"), ("fixed", "-1"), ("fixed", "0.001"),
    ("percent", "NaN"), ("fixed", "Infinity"), ("fixed", "abc"), ("percent", "1e999999"),
])
def test_a_value_out_of_range_is_422_naming_the_field(world, kind, value):
    response = put(world, world.listings[0],
                   {"project_id": world.project.pk, "kind": kind, "value": value})

    assert response.status_code == 422, response.content
    assert response.json()["error"]["details"][0]["field"].endswith("value")


@pytest.mark.parametrize("kind, value", [("percent", "0.1"), ("percent", "100"),
                                         ("fixed", "12.50"), ("fixed", "0.01")])
def test_the_bounds_themselves_are_accepted(world, kind, value):
    response = put(world, world.listings[0],
                   {"project_id": world.project.pk, "kind": kind, "value": value})

    assert response.status_code == 200, response.content


def test_an_unknown_project_is_422_and_a_closed_one_409(world):
    closed = make_project(title="已结束的项目", status=Project.Status.CLOSED)
    ended = make_project(title="过期的项目", ends_on=timezone.localdate() - timedelta(days=1))

    unknown = put(world, world.listings[0], {"project_id": 999999, "kind": "fixed",
                                             "value": "1.00"})
    refused = put(world, world.listings[0], {"project_id": closed.pk, "kind": "fixed",
                                             "value": "1.00"})
    past = put(world, world.listings[0], {"project_id": ended.pk, "kind": "fixed",
                                          "value": "1.00"})

    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["field"] == "project_id"
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "project_closed"
    assert past.status_code == 409


@pytest.mark.parametrize("body", [{}, {"project_id": 1}, {"project_id": 1, "kind": "gift",
                                                          "value": "1"},
                                  {"project_id": 0, "kind": "fixed", "value": "1"}])
def test_a_malformed_body_is_422(world, body):
    response = put(world, world.listings[0], body)

    assert response.status_code == 422
    assert "error" in response.json()


def test_signed_out_is_401_and_a_buyer_404(api, world):
    body = {"project_id": world.project.pk, "kind": "fixed", "value": "1.00"}

    assert api.put(f"/listings/{world.listings[0].pk}/benefit", body).status_code == 401
    assert client_for(make_user()).put(f"/listings/{world.listings[0].pk}/benefit",
                                       body).status_code == 404


def test_the_pledge_is_snapshotted_on_the_order_line_when_placed(world):
    world.pledge(kind="fixed", value="1.00")
    order = world.place({0: 4}, promo=False)
    world.pledge(kind="fixed", value="3.00")  # a later change: later orders only

    pledge = LinePledge.objects.get(order=order)
    assert (pledge.kind, pledge.value, pledge.amount, pledge.source) == (
        "fixed", 1, 4, "farm")
    assert pledge.line.listing_id == world.listings[0].pk


def test_a_percent_pledge_is_rounded_half_up_once_per_line(world):
    world.pledge(1, kind="percent", value="3")  # 3 x 33.30 = 99.90; 3% = 2.997 -> 3.00

    order = world.place({1: 3}, promo=False)

    assert LinePledge.objects.get(order=order).amount == 3


def test_a_closed_project_takes_no_pledge_on_new_orders(world):
    world.pledge()
    Project.objects.filter(pk=world.project.pk).update(status=Project.Status.CLOSED)

    order = world.place({0: 1}, promo=False)

    assert not LinePledge.objects.filter(order=order).exists()


def test_the_promoter_pledges_a_percent_of_their_commission(world):
    body = world.promoter_pledge("50")

    order = world.place({0: 4})  # 4 x 12.50 = 50.00 at 10%: commission 5.00

    assert body == {"project_id": world.project.pk, "project_title": "二郎庙村小学免费午餐",
                    "percent": "50.00"}
    pledge = LinePledge.objects.get(order=order, source="promoter")
    assert str(pledge.amount) == "2.50" and pledge.promoter_id == world.promoter.pk


def test_a_promoter_pledge_needs_a_promoter_and_a_sane_percent(world):
    farmer = client_for(world.farms[0].user)
    promoter = client_for(world.promoter.user)

    assert farmer.put("/promoters/me/benefit", {"project_id": world.project.pk,
                                                "percent": "10"}).status_code == 403
    assert promoter.put("/promoters/me/benefit", {"project_id": world.project.pk,
                                                  "percent": "101"}).status_code == 422
    assert promoter.put("/promoters/me/benefit", {"project_id": 999999,
                                                  "percent": "10"}).status_code == 422
    assert promoter.delete("/promoters/me/benefit").status_code == 204


def test_the_trace_page_and_the_listing_page_name_the_pledge(api, world):
    listing = make_listing(producer=world.farms[0], unit="jin", price="8.00")
    client_for(world.farms[0].user).put(f"/listings/{listing.pk}/benefit", {
        "project_id": world.project.pk, "kind": "fixed", "value": "0.10"})
    batch = make_batch(listing=listing)

    trace = api.get(f"/trace/{batch.trace_code}").content.decode()
    page = api.get(f"/l/{listing.pk}").content.decode()

    text = "每售出 1 斤，捐 0.10 元 给 二郎庙村小学免费午餐"
    assert text in trace
    assert text in page
    assert f'href="/benefit/{world.project.pk}"' in page


def test_a_page_without_a_pledge_says_nothing_of_one(api, world):
    page = api.get(f"/l/{world.listings[0].pk}").content.decode()

    assert "公益认捐" not in page


def test_a_percent_pledge_reads_as_a_share_of_the_price(api, world):
    world.pledge(kind="percent", value="5")

    page = api.get(f"/l/{world.listings[0].pk}").content.decode()

    assert "每售出 1 千克，捐出售价的 5% 给 二郎庙村小学免费午餐" in page

"""The bench's hand-written ceilings (bench/ceilings.py) answer the app's very bytes with a
pledge and photos on the listing: `make bench` refuses to measure otherwise. PostgreSQL only
(their SQL is PostgreSQL's)."""

from datetime import date

import pytest
from django.test import Client, RequestFactory

from bench import ceilings
from producers.models import ListingImage
from tests.factories import make_batch

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

AGENT = {"HTTP_USER_AGENT": "bench-check", "REMOTE_ADDR": "127.0.0.9"}


@pytest.mark.parametrize("kind, value", [("fixed", "0.10"), ("percent", "7.5")])
def test_the_ceilings_answer_the_apps_bytes_with_a_pledge(world, kind, value):
    world.pledge(kind=kind, value=value)
    batch = make_batch(listing=world.listings[0])
    listing_id = world.listings[0].pk
    ListingImage.objects.create(listing_id=listing_id, original="listings/a.jpg")
    ListingImage.objects.create(listing_id=listing_id, original="listings/b.jpg", position=1,
                                status="ready", small="listings/thumbs/b.webp",
                                medium="listings/thumbs/b-m.webp", width=900, height=1200)
    app, factory = Client(**AGENT), RequestFactory(**AGENT)

    pairs = [
        (app.get("/api/v1/listings"), ceilings.catalog(factory.get("/api/v1/listings"))),
        (app.get("/api/v1/listings?ordering=price"),
         ceilings.catalog(factory.get("/api/v1/listings?ordering=price"))),
        (app.get(f"/api/v1/listings/{listing_id}"),
         ceilings.listing(factory.get("/"), listing_id)),
        (app.get(f"/trace/{batch.trace_code}"),
         ceilings.trace_page(factory.get("/"), batch.trace_code)),
    ]

    for ours, ceiling in pairs:
        assert ours.status_code == 200
        assert ours.content == ceiling.content
    assert b"0.10" in pairs[0][0].content or b"7.50" in pairs[0][0].content
    assert b"thumbs/b.webp" in pairs[0][0].content and b"/a.jpg" in pairs[2][0].content


def test_the_share_link_ceiling_lands_where_the_app_lands_with_a_visit_of_the_link(world):
    from bench.scenarios import _landing
    from tests.factories import make_link, make_user, make_video

    listing = world.listings[0]
    link = make_link(video=make_video(owner=make_user()), listing=listing)
    app, factory = Client(**AGENT), RequestFactory(**AGENT)
    ours = app.get(f"/p/{link.code}")
    ceiling = ceilings.share(factory.get("/"), link.code)
    assert ours.status_code == ceiling.status_code == 302
    assert _landing(ours) == _landing(ceiling)
    assert _landing(ours)[2] == link.pk and _landing(ours)[3]  # a visit of this link, in a cookie
    assert ours["Location"] != ceiling["Location"]  # two visits are never the same bytes


def test_the_trace_ceiling_answers_the_apps_claim_record(world):
    """The trace page shows the lot's and the farm's claim record: the ceiling computes it in
    its one statement, and gives the same bytes with claims answered, lapsed and open."""
    from datetime import timedelta

    from django.utils import timezone

    from claims import services as claims
    from claims.models import Claim
    from orders.models import LineLot, OrderLine

    listing = world.listings[0]
    batch = make_batch(listing=listing)
    farm_user = listing.producer.user
    answered_after = [timedelta(hours=5), timedelta(hours=30, minutes=7), None]
    for wait in answered_after:
        order = world.buy({0: 2}, promo=False)
        world.ship_and_deliver(order)
        line = OrderLine.objects.get(order=order)
        LineLot.objects.create(line=line, batch=batch, quantity=2)
        claim = claims.claim_open(order_id=order.pk, user=world.buyer,
                                  shipment_id=line.shipment_id, kind="damaged",
                                  lines=[{"line_id": line.pk, "quantity": 1, "damage_pct": 30}])
        if wait is not None:
            Claim.objects.filter(pk=claim.pk).update(created_at=timezone.now() - wait)
            claims.claim_accept(claim_id=claim.pk, user=farm_user)
    app, factory = Client(**AGENT), RequestFactory(**AGENT)

    ours = app.get(f"/trace/{batch.trace_code}")
    ceiling = ceilings.trace_page(factory.get("/"), batch.trace_code)

    assert ours.status_code == 200
    assert ours.content == ceiling.content
    assert "17.6 小时" in ours.content.decode()  # the median of 5 h and 30 h 7 min


def test_the_ceilings_answer_the_apps_bytes_with_certificates_and_a_verified_seller(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from certificates import services
    from tests.factories import pdf_bytes, resident_id

    listing = world.listings[0]
    producer = listing.producer
    batch = make_batch(listing=listing, certifications=["绿色食品", "有机", "自然成熟"])
    verification = services.verification_submit(
        producer=producer, kind="individual_farmer", name="李大山", id_number=resident_id())
    services.verification_decide(verification_id=verification.pk, verified=True)
    services.certificate_add(batch=batch, producer=producer, kind="chengnuo_hege",
                             basis="own_test")
    green = services.certificate_add(
        batch=batch, producer=producer, kind="green", number="LB-18-1", issuer="中心",
        issued_on=date(2026, 1, 1), expires_on=date(2099, 1, 1),
        file=SimpleUploadedFile("g.pdf", pdf_bytes()))
    services.certificate_decide(certificate_id=green.pk, verified=True)
    app, factory = Client(**AGENT), RequestFactory(**AGENT)

    pairs = [
        (app.get("/api/v1/listings"), ceilings.catalog(factory.get("/api/v1/listings"))),
        (app.get(f"/api/v1/listings/{listing.pk}"),
         ceilings.listing(factory.get("/"), listing.pk)),
        (app.get(f"/trace/{batch.trace_code}"),
         ceilings.trace_page(factory.get("/"), batch.trace_code)),
    ]

    for ours, ceiling in pairs:
        assert ours.status_code == 200
        assert ours.content == ceiling.content
    assert b'"verified":true' in pairs[0][0].content and b'"certified":["green"]' in \
        pairs[0][0].content
    assert "LB-18-1" in pairs[2][0].content.decode() and "已核验" in pairs[2][0].content.decode()

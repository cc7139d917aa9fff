"""Farms with sales for the reports tests: orders placed and paid through the services (the
factories), or many order lines written in bulk for the memory tests."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.utils import timezone

from orders.models import Order, OrderLine, Shipment
from payments.services import payment_start as order_pay
from producers.models import Listing, Producer
from reports.selectors import report_storage
from tests.factories import client_for, make_listing, make_order, make_producer


@pytest.fixture(autouse=True)
def report_settings(settings, tmp_path):
    """Each test its own report storage (so counting files means something), the sandbox
    provider, and the documented defaults."""
    settings.STORAGES = {**settings.STORAGES, "reports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "reports")}}}
    settings.PAYMENT_PROVIDERS = ["sandbox"]
    settings.REPORT_MAX_ACTIVE = 3
    settings.REPORT_TTL_HOURS = 24
    return settings


@pytest.fixture
def make_farm(db):
    """make_farm(kind="farmer") -> (producer, its signed-in client, a listing of its own: a box
    at 39.90)."""

    def make(kind: str = Producer.Kind.FARMER, *, title: str = "红富士苹果 5斤装"):
        producer = make_producer(kind=kind)
        listing = make_listing(producer=producer, title=title, unit=Listing.Unit.BOX,
                               price="39.90", stock=10_000)
        return producer, client_for(producer.user), listing

    return make


@pytest.fixture
def sell(buyer):
    """sell(listing, quantity) -> a paid order of the buyer's for that listing."""

    def make(listing: Listing, quantity: int = 1) -> Order:
        order = make_order(buyer=buyer, lines=[(listing, quantity)])
        order_pay(order_id=order.pk, user=buyer, method="sandbox")
        return Order.objects.get(pk=order.pk)

    return make


@pytest.fixture
def bulk_sales(buyer, regions, categories):
    """bulk_sales(producer, lines) writes `lines` paid order lines of that farm (50 listings, one
    line each per order) straight into the tables: the memory tests need many thousand."""

    def make(producer: Producer, lines: int, *, paid_at=None) -> None:
        paid_at = paid_at or timezone.now() - timedelta(hours=1)
        Listing.objects.bulk_create(
            Listing(producer=producer, title=f"山货 {i} 号", category=categories["apples"],
                    unit=Listing.Unit.JIN, price=Decimal("12.50"), stock=0,
                    status=Listing.Status.ACTIVE)
            for i in range(50)
        )
        listings = list(Listing.objects.filter(producer=producer).order_by("-id")[:50])
        start = Order.objects.count()
        for first in range(0, lines, 5000):
            count = min(5000, lines - first)
            n_orders = -(-count // 50)
            numbers = [f"RB{producer.pk:04d}{start + first // 50 + i:010d}"
                       for i in range(n_orders)]
            Order.objects.bulk_create(
                Order(buyer=buyer, number=number, status=Order.Status.PAID,
                      subtotal=Decimal("625.00"), shipping_fee=Decimal("0.00"),
                      total=Decimal("625.00"), recipient="王小明", phone="13800138000",
                      region=regions["xihu"], detail="文三路 90 号", expires_at=paid_at,
                      paid_at=paid_at)
                for number in numbers
            )
            orders = list(Order.objects.filter(number__in=numbers).order_by("id"))
            Shipment.objects.bulk_create(
                Shipment(order=order, producer=producer, subtotal=Decimal("625.00"),
                         shipping_fee=Decimal("0.00")) for order in orders
            )
            shipments = dict(Shipment.objects.filter(order__in=orders)
                             .values_list("order_id", "id"))
            rows = []
            for index in range(count):
                order = orders[index // 50]
                listing = listings[index % 50]
                rows.append(OrderLine(
                    order=order, shipment_id=shipments[order.pk], listing=listing,
                    title=listing.title, unit=listing.unit, unit_price=Decimal("12.50"),
                    quantity=1, line_total=Decimal("12.50"),
                ))
            OrderLine.objects.bulk_create(rows, batch_size=2000)

    return make


def read_file(report: dict, client) -> bytes:
    """The bytes behind a report's download_url, fetched as `client`."""
    url = report["download_url"].split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + url)
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


def stored_files() -> list[str]:
    storage = report_storage()
    if not storage.exists("reports"):
        return []
    return sorted(storage.listdir("reports")[1])


def xlsx_rows(content: bytes) -> list[tuple]:
    from openpyxl import load_workbook

    book = load_workbook(BytesIO(content), read_only=True)
    rows = [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows


def recent_period() -> dict:
    """The last 31 days, as POST /reports takes a period."""
    today = timezone.localdate()
    return {"period_start": (today - timedelta(days=30)).isoformat(),
            "period_end": today.isoformat()}


@pytest.fixture
def built(django_capture_on_commit_callbacks):
    """built(client, kind=..., format=...) -> the report after its task ran (as a worker would
    run it, after the request's commit)."""

    def build(client, *, fmt: str = "csv", kind: str = "sales", **period) -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/reports", {"kind": kind, "format": fmt,
                                                **(period or recent_period())})
        assert response.status_code == 202, response.content
        return client.get(f"/reports/{response.json()['id']}").json()

    return build

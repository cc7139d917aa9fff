"""Real threads on PostgreSQL: the same video, link or click at once has one effect, and the
settlement task racing itself or a cancellation changes each commission once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from checkout import services as checkout
from orders import services as orders
from payments import services as payments
from promotion import services
from promotion.models import Click, Commission, Link, Video
from tests.concurrency import run_concurrently
from tests.factories import client_for, make_order, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BV = "https://www.bilibili.com/video/BV1GJ411x7h7"


def succeeded(results: list) -> list:
    """What run_concurrently returned, none of it an exception."""
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    return results


def test_the_same_video_posted_at_once_is_one_video(promoter):
    user = promoter[0].user
    clients = [client_for(user) for _ in range(6)]
    statuses = succeeded(run_concurrently(
        *[lambda c=c: c.post("/videos", {"url": BV}).status_code for c in clients]))
    assert sorted(statuses) == [200] * 5 + [201]
    assert Video.objects.count() == 1


def test_the_same_link_created_at_once_is_one_link(promoter, farm):
    user = promoter[0].user
    video, _ = services.video_submit(user=user, url=BV)
    results = succeeded(run_concurrently(*[
        lambda: services.link_create(user=user, video_id=video.pk,
                                     listing_id=farm["apples"].pk)
        for _ in range(6)
    ]))
    assert sorted(created for _, created in results) == [False] * 5 + [True]
    assert len({link.code for link, _ in results}) == 1
    assert Link.objects.count() == 1


def test_clicks_at_once_from_one_visitor_count_once(farm, promoter):
    video, _ = services.video_submit(user=promoter[0].user, url=BV)
    link, _ = services.link_create(user=promoter[0].user, video_id=video.pk,
                                   listing_id=farm["apples"].pk)
    ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile"
    succeeded(run_concurrently(*[
        lambda: services.click_record(link_id=link.pk, client_address="203.0.113.9",
                                      user_agent=ua)
        for _ in range(8)
    ]))
    succeeded(run_concurrently(*[
        lambda i=i: services.click_record(link_id=link.pk, client_address=f"203.0.113.{i}",
                                          user_agent=ua)
        for i in range(20, 28)
    ]))
    assert Click.objects.count() == 9
    succeeded(run_concurrently(services.clicks_rollup, services.clicks_rollup))
    assert link.click_days.get().clicks == 9


@pytest.fixture
def delivered_commission(farm, promoter):
    buyer = make_user()
    video, _ = services.video_submit(user=promoter[0].user, url=BV)
    link, _ = services.link_create(user=promoter[0].user, video_id=video.pk,
                                   listing_id=farm["apples"].pk)
    # an unverified Bilibili video earns once the farm approves its link
    services.link_review(user=farm["user"], listing_id=farm["apples"].pk, video_id=video.pk,
                         review="approved")
    order = make_order(buyer=buyer, lines=[(farm["apples"], 2)], promo_code=link.code)
    payments.payment_start(order_id=order.pk, user=buyer, method="sandbox")
    shipment = order.shipments.get()
    orders.shipment_ship(shipment_id=shipment.pk, user=farm["user"], carrier="顺丰",
                         tracking_number="SF1234567890123")
    orders.shipment_confirm(shipment_id=shipment.pk, user=buyer)
    return order


def test_the_settlement_task_racing_itself_settles_once(delivered_commission):
    later = timezone.now() + timedelta(days=30)
    counts = succeeded(run_concurrently(
        *[lambda: checkout.commissions_settle(now=later) for _ in range(4)]))
    assert sum(counts) == 1
    assert Commission.objects.get().status == "settled"


def test_settlement_racing_a_cancellation_changes_the_commission_once(delivered_commission):
    later = timezone.now() + timedelta(days=30)
    settled, cancelled = succeeded(run_concurrently(
        lambda: checkout.commissions_settle(now=later),
        lambda: services.commissions_cancel_for_order(order=delivered_commission),
    ))
    assert settled + cancelled == 1
    commission = Commission.objects.get()
    assert (commission.settled_at is None) != (commission.cancelled_at is None)

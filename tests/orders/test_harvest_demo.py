import io
from decimal import Decimal

import pytest

from demo import harvest as demo
from orders.models import Harvest, LineLot, Order
from payments.models import Refund
from producers.models import Batch, Listing, Member

pytestmark = pytest.mark.django_db


def test_demo_cooperative_members_lots_and_a_presale_and_idempotent(regions, categories,
                                                                     api):
    accounts = demo.load(stdout=io.StringIO())

    assert [a.username for a in accounts] == ["coop_demo", "buyer_harvest"]
    members = list(Member.objects.order_by("id").values_list("name", flat=True))
    assert members == ["王秀英", "李大山", "张桂兰"]
    # a lot of each member, each shipped from
    lots = Batch.objects.filter(member__isnull=False).order_by("id")
    assert [lot.member.name for lot in lots] == members
    assert [lot.shipped for lot in lots] == [3, 3, 3]
    assert LineLot.objects.count() == 3
    page = api.get(f"/trace/{lots[0].trace_code}").content.decode()
    assert "王秀英" in page and "13700000001" not in page
    # a pre-sale with paid orders
    presale = Listing.objects.get(presale_closes_at__isnull=False)
    assert presale.order_lines.filter(order__status=Order.Status.PAID).count() == 2
    # and last season's, harvested short: 8 of 12 shared pro rata, the rest refunded
    harvest = Harvest.objects.get()
    assert (harvest.allocated, harvest.refunded_amount) == (8, Decimal("168.00"))
    assert sorted(harvest.orders.values_list("ordered", "allocated")) == [(3, 2), (4, 3),
                                                                          (5, 3)]
    assert Refund.objects.filter(order__harvests__harvest=harvest).count() == 3
    again = demo.load(stdout=io.StringIO())
    assert [a.username for a in again] == ["coop_demo", "buyer_harvest"]
    assert (Member.objects.count(), LineLot.objects.count(), Order.objects.count(),
            Refund.objects.count()) == (3, 3, 8, 3)


def test_demo_without_regions_creates_nothing(db):
    assert demo.load(stdout=io.StringIO()) == []
    assert not Member.objects.exists()

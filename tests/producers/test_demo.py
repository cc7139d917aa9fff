import io

import pytest

from demo import producers as demo
from producers.categories import categories_load
from producers.models import Batch, Listing, ListingImage, Producer, Region
from producers.regions import regions_load_official

pytestmark = pytest.mark.django_db


def test_the_demo_farms_listings_photos_and_lots_load_twice_without_change(api):
    regions_load_official()
    categories_load()
    accounts = demo.load(stdout=io.StringIO())
    counts = (Producer.objects.count(), Listing.objects.count(), ListingImage.objects.count(),
              Batch.objects.count(), Region.objects.count())
    assert [a.role for a in accounts] == ["producer"] * 5
    assert counts[:2] == (5, 12) and counts[2] == 12 and counts[3] >= 12

    again = demo.load(stdout=io.StringIO())
    assert [a.username for a in again] == [a.username for a in accounts]
    assert (Producer.objects.count(), Listing.objects.count(), ListingImage.objects.count(),
            Batch.objects.count(), Region.objects.count()) == counts

    # one cooperative, one farm in 太康县 (under an illustrative village)
    assert Producer.objects.filter(kind="cooperative").count() == 1
    taikang = Region.objects.get(code="411627")
    assert Producer.objects.filter(region__lineage__startswith=taikang.lineage).count() == 1
    assert set(ListingImage.objects.values_list("status", flat=True)) == {"ready"}

    # the cooperative's heavy boxes are priced by weight, and not sent to 新疆 or 西藏
    box = Listing.objects.get(title="洛川红富士苹果 10斤礼盒")
    assert box.freight_template.basis == "weight"
    assert {code for _id, code in box.freight_template.document["no_ship"]} == {"650000",
                                                                                "540000"}

    # the shop window and a trace page work on the demo data
    body = api.get("/listings", {"q": "pingguo"}).json()
    assert any("苹果" in item["title"] for item in body["items"])
    assert body["items"][0]["cover"]["url"].endswith(".webp")
    code = Batch.objects.first().trace_code
    assert api.get(f"/trace/{code}").status_code == 200

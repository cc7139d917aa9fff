"""Text a phone form fills is capped (API.md, second wave): a listing's description and story
at 2,000 characters, growing_method at 255, a producer's story at 2,000; longer is 422. The
search key is built from bounded text, so whatever is stored cannot make `q` slow."""

import pytest

from producers.models import Listing, Producer
from producers.search import search_key
from tests.factories import make_listing

pytestmark = pytest.mark.django_db

LONG = "山坡上的老果园，" * 300  # 2,400 characters


def listing_body(**extra):
    return {"title": "红富士苹果", "category": "apples", "unit": "jin", "price": "12.50",
            "stock": 100, "status": "active", **extra}


@pytest.mark.parametrize(("field", "cap"), [("description", 2000), ("story", 2000),
                                            ("growing_method", 255)])
def test_listing_text_over_its_cap_is_422_and_at_the_cap_is_taken(owner_api, producer,
                                                                   categories, field, cap):
    # when the text is one character too long
    response = owner_api.post("/listings", listing_body(**{field: "苹" * (cap + 1)}))

    # then 422 names the field and nothing is stored
    assert response.status_code == 422, response.content
    assert [d["field"] for d in response.json()["error"]["details"]] == [field]
    assert not Listing.objects.exists()

    # and exactly at the cap it is taken, also as a change
    created = owner_api.post("/listings", listing_body(**{field: "苹" * cap}))
    assert created.status_code == 201, created.content
    changed = owner_api.patch(f"/listings/{created.json()['id']}", {field: "果" * (cap + 1)})
    assert changed.status_code == 422


def test_producer_story_over_2000_characters_is_422(owner_api, producer):
    response = owner_api.patch(f"/producers/{producer.pk}", {"story": "茶" * 2001})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "story"
    assert owner_api.patch(f"/producers/{producer.pk}", {"story": "茶" * 2000}).status_code == 200
    assert len(Producer.objects.get(pk=producer.pk).story) == 2000


def test_a_new_producer_with_a_story_over_2000_characters_is_422(buyer_api, regions):
    response = buyer_api.post("/producers", {"name": "新农户", "kind": "farmer",
                                             "region_id": regions["village"].pk,
                                             "story": "茶" * 2001})
    assert response.status_code == 422
    assert not Producer.objects.exists()


def test_the_search_key_of_text_stored_past_the_caps_is_that_of_the_capped_text(producer):
    # given a listing whose texts were stored 10x past the caps (the admin, an older row)
    listing = make_listing(producer=producer, description="脆甜多汁" * 5000, story=LONG * 8)

    # then its key is the key of the capped texts, about 12,000 characters instead of 185,000
    key = Listing.objects.get(pk=listing.pk).search_text
    assert key == search_key(listing.title, ("脆甜多汁" * 5000)[:2000], (LONG * 8)[:2000],
                             producer.name)
    assert len(key) < 15_000


def test_words_deep_in_a_description_are_found_in_chinese_and_the_start_by_pinyin(api,
                                                                                   producer):
    description = "脆" * 1500 + "高山蜜桃"
    make_listing(producer=producer, title="桃子", description=description)
    assert len(api.get("/listings", {"q": "高山蜜桃"}).json()["items"]) == 1
    assert len(api.get("/listings", {"q": "taozi"}).json()["items"]) == 1

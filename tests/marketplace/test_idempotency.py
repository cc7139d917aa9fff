"""Idempotency-Key through a view built like the order endpoints use it."""

import json

import pytest
from django.test import RequestFactory
from ninja import Status

from marketplace.errors import Conflict, ValidationFailed
from marketplace.idempotency import idempotent
from producers.models import Category
from producers.schemas import CategoryOut
from tests.concurrency import run_concurrently
from tests.factories import make_user


@idempotent(CategoryOut, status=201)
def create_category(request):
    data = json.loads(request.body)
    if not data.get("slug"):
        raise ValidationFailed({"slug": "required"})
    return Status(201, Category.objects.create(slug=data["slug"], name=data["slug"],
                                               lineage=f"/{data['slug']}/"))


def post(user, body: dict, key: str | None = "key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    request = RequestFactory().post("/api/v1/things", json.dumps(body),
                                    content_type="application/json", **headers)
    request.auth = user
    return create_category(request)


@pytest.mark.django_db
def test_same_key_and_body_replays_the_first_response():
    user = make_user()
    first = post(user, {"slug": "honey"})
    assert first.status_code == 201
    replay = post(user, {"slug": "honey"})
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    # the same body (PostgreSQL's jsonb keeps keys in its own order) and the same content type
    assert json.loads(replay.content) == json.loads(first.content)
    assert replay["Content-Type"] == first["Content-Type"]
    assert json.loads(first.content)["slug"] == "honey"
    assert Category.objects.count() == 1


@pytest.mark.django_db
def test_same_key_other_body_is_409():
    user = make_user()
    post(user, {"slug": "honey"})
    with pytest.raises(Conflict) as caught:
        post(user, {"slug": "tea"})
    assert caught.value.code == "idempotency_key_reused"
    assert Category.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_one_user():
    post(make_user(), {"slug": "honey"})
    other = post(make_user(), {"slug": "honey2"})
    assert other.status_code == 201
    assert Category.objects.count() == 2


@pytest.mark.django_db
def test_a_failed_request_stores_nothing_and_may_be_retried():
    user = make_user()
    with pytest.raises(ValidationFailed):
        post(user, {"slug": ""})
    assert post(user, {"slug": "tea"}).status_code == 201


@pytest.mark.django_db
def test_without_a_key_every_request_has_its_effect():
    user = make_user()
    post(user, {"slug": "a"}, key=None)
    post(user, {"slug": "b"}, key=None)
    assert Category.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "bad key with spaces", "ключ"])
def test_malformed_keys_are_400(key):
    from marketplace.errors import BadRequest

    with pytest.raises(BadRequest):
        post(make_user(), {"slug": "a"}, key=key)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_have_one_effect():
    user = make_user()
    results = run_concurrently(
        *[lambda: post(user, {"slug": "mushrooms"}, key="same-key").status_code] * 8
    )
    assert results == [201] * 8
    assert Category.objects.filter(slug="mushrooms").count() == 1

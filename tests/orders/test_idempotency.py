"""Idempotency-Key on POST /orders and POST /orders/{id}/pay."""

import pytest

from orders.models import Order
from payments.models import Payment
from producers.models import Listing
from tests.factories import client_for, make_user

pytestmark = pytest.mark.django_db


def test_a_retried_order_is_replayed_not_placed_twice(buyer_api, place, two_farms):
    apples = two_farms["apples"]
    headers = {"Idempotency-Key": "checkout-7f3a"}
    first = place(buyer_api, (apples, 3), headers=headers)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    again = place(buyer_api, (apples, 3), headers=headers)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Order.objects.count() == 1
    assert Listing.objects.get(pk=apples.pk).stock == 47


def test_the_same_key_with_another_body_is_409(buyer_api, place, two_farms):
    headers = {"Idempotency-Key": "checkout-7f3a"}
    assert place(buyer_api, (two_farms["apples"], 3), headers=headers).status_code == 201
    other = place(buyer_api, (two_farms["apples"], 4), headers=headers)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1
    assert Listing.objects.get(pk=two_farms["apples"].pk).stock == 47


def test_keys_belong_to_their_user(buyer_api, place, two_farms):
    headers = {"Idempotency-Key": "same-key"}
    other_buyer = client_for(make_user())
    assert place(buyer_api, (two_farms["apples"], 1), headers=headers).status_code == 201
    second = place(other_buyer, (two_farms["apples"], 1), headers=headers)
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert Order.objects.count() == 2


def test_a_failed_request_is_not_stored_and_may_be_retried(buyer_api, place, two_farms):
    headers = {"Idempotency-Key": "retry-me"}
    tea = two_farms["tea"]
    assert place(buyer_api, (tea, 25), headers=headers).status_code == 409
    Listing.objects.filter(pk=tea.pk).update(stock=30)
    retried = place(buyer_api, (tea, 25), headers=headers)
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers


def test_a_malformed_key_is_400(buyer_api, place, two_farms):
    response = place(buyer_api, (two_farms["apples"], 1), headers={"Idempotency-Key": "x" * 256})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"


def test_a_retried_payment_is_replayed_and_pays_once(buyer_api, place, two_farms):
    order = place(buyer_api, (two_farms["apples"], 1)).json()
    headers = {"Idempotency-Key": "pay-1"}
    first = buyer_api.post(f"/orders/{order['id']}/pay", {"method": "sandbox"}, headers=headers)
    again = buyer_api.post(f"/orders/{order['id']}/pay", {"method": "sandbox"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Payment.objects.count() == 1
    # without the key a second payment is refused: the order is paid already
    third = buyer_api.post(f"/orders/{order['id']}/pay", {"method": "sandbox"})
    assert third.status_code == 409 and third.json()["error"]["code"] == "invalid_state"

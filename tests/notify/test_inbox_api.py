"""The inbox, preferences, WeChat consents and contact points through the API: each person
sees and changes only their own."""

import pytest
from django.db import transaction
from django.test import TestCase

from notify import notify
from notify.models import Notification, Template, WechatGrant
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def told(user, count: int = 1, event: str = "order_shipped") -> list[Notification]:
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        return [notify(user_id=user.pk, event=event, key=f"K{user.pk}-{i}-{event}",
                       title=f"订单 {i} 已发货", body="顺丰 SF123", data={"order_id": i})
                for i in range(count)]


def test_the_inbox_lists_newest_first_with_every_delivery(buyer, buyer_api, settings):
    settings.SMS_PROVIDER = ""
    settings.WECHAT_MESSAGE_PROVIDER = ""
    first, second = told(buyer, 2)

    page = buyer_api.get("/me/notifications").json()

    assert [n["id"] for n in page["items"]] == [second.pk, first.pk]
    item = page["items"][0]
    assert item["event"] == "order_shipped" and item["title"] == "订单 1 已发货"
    assert item["data"] == {"order_id": 1} and item["read_at"] is None
    assert item["deliveries"][0] == {"channel": "inbox", "status": "sent", "reason": None}
    channels = {d["channel"]: d for d in item["deliveries"][1:]}
    assert channels["email"]["status"] == "sent"
    assert channels["sms"] == {"channel": "sms", "status": "skipped", "reason": "no_phone"}


def test_the_inbox_is_a_cursor_list(buyer, buyer_api, settings):
    settings.SMS_PROVIDER = ""
    told(buyer, 5)
    first = buyer_api.get("/me/notifications", {"limit": 2}).json()
    second = buyer_api.get("/me/notifications", {"limit": 2,
                                                 "cursor": first["next_cursor"]}).json()
    third = buyer_api.get("/me/notifications", {"limit": 2,
                                                "cursor": second["next_cursor"]}).json()
    ids = [n["id"] for page in (first, second, third) for n in page["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 5
    assert third["next_cursor"] is None
    assert buyer_api.get("/me/notifications", {"cursor": "bogus"}).status_code == 400


def test_the_inbox_costs_the_same_queries_for_one_row_and_for_twenty(
        buyer, buyer_api, settings, django_assert_num_queries):
    settings.SMS_PROVIDER = ""
    told(buyer, 1)
    with django_assert_num_queries(3):  # token, page, deliveries
        assert len(buyer_api.get("/me/notifications").json()["items"]) == 1
    told(buyer, 19, event="order_delivered")
    with django_assert_num_queries(3):
        assert len(buyer_api.get("/me/notifications").json()["items"]) == 20


def test_another_persons_notifications_are_not_seen_nor_marked(buyer, buyer_api, settings):
    settings.SMS_PROVIDER = ""
    other = make_user(username="other")
    [theirs] = told(other)
    assert buyer_api.get("/me/notifications").json()["items"] == []
    marked = buyer_api.post("/me/notifications/read", {"ids": [theirs.pk]})
    assert marked.status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_marking_read_by_ids_and_all_and_the_unread_count(buyer, buyer_api, settings):
    settings.SMS_PROVIDER = ""
    a, b, c = told(buyer, 3)
    assert buyer_api.get("/me/notifications/unread-count").json() == {"count": 3}
    answer = buyer_api.post("/me/notifications/read", {"ids": [a.pk]})
    assert answer.status_code == 200 and answer.json() == {"marked": 1, "unread": 2}
    assert buyer_api.post("/me/notifications/read", {"all": True}).json() == {
        "marked": 2, "unread": 0}
    assert buyer_api.get("/me/notifications/unread-count").json() == {"count": 0}
    assert buyer_api.post("/me/notifications/read", {}).status_code == 422


def test_read_takes_an_idempotency_key(buyer, buyer_api, settings):
    settings.SMS_PROVIDER = ""
    [a] = told(buyer)
    key = {"Idempotency-Key": "read-1"}
    first = buyer_api.post("/me/notifications/read", {"ids": [a.pk]}, headers=key)
    again = buyer_api.post("/me/notifications/read", {"ids": [a.pk]}, headers=key)
    assert first.json() == again.json() == {"marked": 1, "unread": 0}
    assert again["Idempotent-Replayed"] == "true"


def test_the_inbox_needs_a_token(api):
    for path in ("/me/notifications", "/me/notifications/unread-count",
                 "/me/notification-preferences"):
        assert api.get(path).status_code == 401


# --- Preferences --------------------------------------------------------------------------

def test_preferences_have_defaults_and_are_replaced_whole(buyer_api):
    defaults = buyer_api.get("/me/notification-preferences").json()
    assert defaults["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert defaults["events"]["order_paid"] == ["wechat", "sms", "email"]

    put = buyer_api.put("/me/notification-preferences", {
        "events": {"order_shipped": ["sms"], "statement_ready": []},
        "quiet_hours": {"start": "21:30", "end": "05:00"}})
    assert put.status_code == 200, put.content
    body = put.json()
    assert body["events"]["order_shipped"] == ["sms"] and body["events"]["statement_ready"] == []
    assert body["quiet_hours"] == {"start": "21:30", "end": "05:00"}
    assert buyer_api.get("/me/notification-preferences").json() == body

    off = buyer_api.put("/me/notification-preferences", {"events": {}, "quiet_hours": None})
    assert off.json()["quiet_hours"] is None


@pytest.mark.parametrize("body, field", [
    ({"events": {"no_such_event": ["sms"]}}, "events.no_such_event"),
    ({"events": {"order_paid": ["fax"]}}, "events.order_paid"),
    ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "quiet_hours.start"),
])
def test_bad_preferences_are_422_naming_the_field(buyer_api, body, field):
    answer = buyer_api.put("/me/notification-preferences", body)
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["field"] == field


# --- WeChat consents -----------------------------------------------------------------------

def test_consents_are_recorded_and_add_up(buyer, buyer_api):
    Template.objects.create(event="order_shipped", channel="wechat", template_id="TPL_ship")
    first = buyer_api.post("/me/wechat-grants", {"template_id": "TPL_ship", "count": 2})
    assert first.status_code == 201 and first.json() == {"template_id": "TPL_ship",
                                                         "remaining": 2}
    again = buyer_api.post("/me/wechat-grants", {"template_id": "TPL_ship"})
    assert again.json()["remaining"] == 3
    assert WechatGrant.objects.get(user=buyer).remaining == 3


def test_a_consent_replayed_with_its_key_counts_once(buyer, buyer_api):
    Template.objects.create(event="order_shipped", channel="wechat", template_id="TPL_ship")
    key = {"Idempotency-Key": "grant-1"}
    buyer_api.post("/me/wechat-grants", {"template_id": "TPL_ship"}, headers=key)
    buyer_api.post("/me/wechat-grants", {"template_id": "TPL_ship"}, headers=key)
    assert WechatGrant.objects.get(user=buyer).remaining == 1


@pytest.mark.parametrize("body, field", [({"template_id": "unknown"}, "template_id"),
                                         ({"template_id": "TPL_ship", "count": 0}, "count"),
                                         ({"count": 1}, "template_id")])
def test_bad_consents_are_422(buyer_api, body, field):
    Template.objects.create(event="order_shipped", channel="wechat", template_id="TPL_ship")
    answer = buyer_api.post("/me/wechat-grants", body)
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["field"] == field


def test_ids_out_of_range_are_422_not_a_500(buyer_api):
    """Found by the fuzzer: an id past a database integer overflowed on SQLite."""
    for ids in ([2**70], [0], [-5]):
        response = buyer_api.post("/me/notifications/read", {"ids": ids})
        assert response.status_code == 422, response.content
        assert response.json()["error"]["details"][0]["field"].startswith("ids")

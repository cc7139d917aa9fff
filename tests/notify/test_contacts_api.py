"""Contact points through the API: WeChat openids, phones proved by a code, e-mail addresses;
each person sees and removes only their own."""

import pytest
from django.utils import timezone

from notify.models import ContactPoint
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_contacts_need_a_token(api):
    assert api.get("/me/contacts").status_code == 401
    assert api.post("/me/contacts", {"channel": "wechat", "openid": "o1"}).status_code == 401


def test_contacts_are_added_listed_and_deleted(buyer, buyer_api):
    wechat = buyer_api.post("/me/contacts", {"channel": "wechat", "openid": "oAbC_123-x"})
    email = buyer_api.post("/me/contacts", {"channel": "email", "address": "li@example.com"})
    assert wechat.status_code == email.status_code == 201
    assert email.json()["verified"] is False and wechat.json()["verified"] is True
    listed = buyer_api.get("/me/contacts").json()
    assert [c["channel"] for c in listed["items"]] == ["email", "wechat"]
    assert listed["next_cursor"] is None
    assert buyer_api.delete(f"/me/contacts/{wechat.json()['id']}").status_code == 204
    assert [c["channel"] for c in buyer_api.get("/me/contacts").json()["items"]] == ["email"]


def test_another_persons_contact_is_404(buyer_api):
    other = make_user(username="other")
    theirs = ContactPoint.objects.create(user=other, channel="email", address="o@example.com")
    assert buyer_api.delete(f"/me/contacts/{theirs.pk}").status_code == 404
    assert buyer_api.delete("/me/contacts/999999").status_code == 404
    assert ContactPoint.objects.filter(pk=theirs.pk).exists()


def test_an_openid_or_phone_of_another_account_is_409(buyer_api):
    other = make_user(username="other")
    ContactPoint.objects.create(user=other, channel="wechat", address="oTaken",
                                verified_at=timezone.now())
    answer = buyer_api.post("/me/contacts", {"channel": "wechat", "openid": "oTaken"})
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "contact_taken"


@pytest.mark.parametrize("body, field", [
    ({"channel": "sms", "phone": "13812345678"}, "code"),
    ({"channel": "sms", "code": "123456"}, "phone"),
    ({"channel": "sms", "phone": "23812345678", "code": "123456"}, "phone"),
    ({"channel": "email", "address": "not-an-address"}, "address"),
    ({"channel": "wechat"}, "openid"),
    ({"channel": "fax", "address": "x"}, "channel"),
])
def test_bad_contacts_are_422_naming_the_field(buyer_api, body, field):
    answer = buyer_api.post("/me/contacts", body)
    assert answer.status_code == 422, answer.content
    assert answer.json()["error"]["details"][0]["field"] == field


def test_a_phone_with_a_wrong_code_is_401_and_not_added(buyer_api, aliyun_sms, api):
    assert api.post("/auth/sms-code", {"phone": "13812345678"}).status_code == 202
    answer = buyer_api.post("/me/contacts", {"channel": "sms", "phone": "13812345678",
                                             "code": "000000"})
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_code"
    assert not ContactPoint.objects.filter(channel="sms").exists()


def test_the_contacts_list_costs_the_same_for_one_and_twenty(buyer, buyer_api,
                                                             django_assert_num_queries):
    ContactPoint.objects.create(user=buyer, channel="email", address="a0@example.com")
    with django_assert_num_queries(2):
        buyer_api.get("/me/contacts")
    for i in range(1, 20):
        ContactPoint.objects.create(user=buyer, channel="email", address=f"a{i}@example.com")
    with django_assert_num_queries(2):
        assert len(buyer_api.get("/me/contacts").json()["items"]) == 20



def test_the_last_sign_in_phone_of_an_account_without_a_password_stays(api, aliyun_sms):
    # given an account made by signing in with a phone (it has no password)
    assert api.post("/auth/sms-code", {"phone": "13812345678"}).status_code == 202
    code = aliyun_sms.sent[-1]["params"]["code"]
    signed = api.post("/auth/phone", {"phone": "13812345678", "code": code}).json()
    api.token = signed["token"]
    [phone] = api.get("/me/contacts").json()["items"]

    refused = api.delete(f"/me/contacts/{phone['id']}")

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "last_sign_in_phone"
    assert ContactPoint.objects.filter(pk=phone["id"]).exists()


def test_an_account_with_a_password_may_remove_its_phone(buyer, buyer_api):
    phone = ContactPoint.objects.create(user=buyer, channel="sms", address="13812345678",
                                        verified_at=timezone.now())
    assert buyer_api.delete(f"/me/contacts/{phone.pk}").status_code == 204

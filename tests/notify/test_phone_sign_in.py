"""Signing in with a phone through the API, against a fake SMS gateway of each kind: codes,
expiry, the limits, wrong tries, and an answer that never tells whether a phone has an
account."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from accounts.models import PhoneCode, User
from notify.models import ContactPoint
from tests.factories import PASSWORD, client_for, make_user

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def code_sent_to(gateway, phone: str = PHONE) -> str:
    message = [m for m in gateway.sent if m["phone"] == phone][-1]
    params = message["params"]
    return params["code"] if isinstance(params, dict) else params[0]


def ask_code(api, phone: str = PHONE):
    return api.post("/auth/sms-code", {"phone": phone})


def test_a_first_sign_in_makes_the_account_and_the_next_finds_it(api, sms_gateway):
    # given a code sent through the gateway (which checked our signature)
    asked = ask_code(api, "+86 138-1234-5678")
    assert asked.status_code == 202, asked.content
    assert sms_gateway.sent[-1]["template"] == "SMS_100001"
    code = code_sent_to(sms_gateway)
    assert len(code) == 6 and code.isdigit()
    assert code not in PhoneCode.objects.get(phone=PHONE).code_hash  # stored hashed

    # when the phone signs in with it
    first = api.post("/auth/phone", {"phone": PHONE, "code": code})

    # then an account is made, with the phone as a verified contact, and the token works
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["created"] is True and body["token"] and body["expires_at"]
    user = User.objects.get(pk=body["user"]["id"])
    assert not user.has_usable_password()
    assert ContactPoint.objects.get(user=user, channel="sms").address == PHONE
    api.token = body["token"]
    assert api.get("/me").json()["id"] == user.pk

    # and the next sign-in (a minute later) finds the same account
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert ask_code(api).status_code == 202
        again = api.post("/auth/phone", {"phone": PHONE, "code": code_sent_to(sms_gateway)})
    assert again.status_code == 200
    assert again.json()["created"] is False and again.json()["user"]["id"] == user.pk
    assert User.objects.count() == 1


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "138123456789", "+1 4155550123",
                                   "abc", "", "+8613812345678x"])
def test_a_phone_that_is_not_a_mainland_mobile_is_422_naming_the_field(api, aliyun_sms, phone):
    answer = ask_code(api, phone)
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["field"] == "phone"
    signed_in = api.post("/auth/phone", {"phone": phone, "code": "123456"})
    assert signed_in.status_code == 422
    assert aliyun_sms.sent == []


def test_a_code_for_another_phone_expired_or_spent_is_401_invalid_code(api, aliyun_sms):
    other = "13987654321"
    assert ask_code(api).status_code == 202
    assert ask_code(api, other).status_code == 202
    mine = code_sent_to(aliyun_sms)

    # another phone's code
    wrong = api.post("/auth/phone", {"phone": other, "code": mine})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_code"

    # expired: five minutes on
    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)):
        late = api.post("/auth/phone", {"phone": PHONE, "code": mine})
    assert late.status_code == 401 and late.json()["error"]["code"] == "invalid_code"

    # a fresh one, used once, then spent
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert ask_code(api).status_code == 202
        fresh = code_sent_to(aliyun_sms)
        assert api.post("/auth/phone", {"phone": PHONE, "code": fresh}).status_code == 200
        spent = api.post("/auth/phone", {"phone": PHONE, "code": fresh})
    assert spent.status_code == 401 and spent.json()["error"]["code"] == "invalid_code"


def test_five_wrong_codes_spend_the_code(api, aliyun_sms):
    assert ask_code(api).status_code == 202
    right = code_sent_to(aliyun_sms)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        assert api.post("/auth/phone", {"phone": PHONE, "code": wrong}).status_code == 401
    # this address is locked out of the phone now (accounts.lockout); from another, the code
    # is spent
    late = api.post("/auth/phone", {"phone": PHONE, "code": right}, REMOTE_ADDR="192.0.2.44")
    assert late.status_code == 401 and late.json()["error"]["code"] == "invalid_code"


def test_four_wrong_codes_leave_the_right_one_working(api, aliyun_sms):
    assert ask_code(api).status_code == 202
    right = code_sent_to(aliyun_sms)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(4):
        assert api.post("/auth/phone", {"phone": PHONE, "code": wrong}).status_code == 401
    assert api.post("/auth/phone", {"phone": PHONE, "code": right}).status_code == 200


def test_one_code_a_minute_per_phone_then_429_with_retry_after(api, aliyun_sms):
    assert ask_code(api).status_code == 202
    again = ask_code(api)
    assert again.status_code == 429
    assert again.json()["error"]["code"] == "sms_code_too_soon"
    assert 1 <= int(again["Retry-After"]) <= 61
    assert len(aliyun_sms.sent) == 1
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert ask_code(api).status_code == 202
    assert len(aliyun_sms.sent) == 2


def test_the_daily_limit_per_phone_is_429_until_midnight_in_shanghai(api, aliyun_sms,
                                                                      settings):
    settings.SMS_CODE_DAILY_LIMIT = 2
    # 10:00 in Shanghai
    start = timezone.now().astimezone(timezone.get_current_timezone()).replace(
        hour=10, minute=0, second=0, microsecond=0)
    with time_machine.travel(start, tick=False):
        assert ask_code(api).status_code == 202
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        assert ask_code(api).status_code == 202
    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        over = ask_code(api)
    assert over.status_code == 429 and over.json()["error"]["code"] == "sms_code_daily_limit"
    assert int(over["Retry-After"]) == 14 * 3600 - 4 * 60 + 1
    with time_machine.travel(start + timedelta(hours=14, seconds=1), tick=False):
        assert ask_code(api).status_code == 202  # a new day
    assert len(aliyun_sms.sent) == 3


def test_codes_are_throttled_per_client_address(api, aliyun_sms, settings):
    settings.SMS_CODE_THROTTLE_RATE = "2/hour"
    assert ask_code(api, "13800000001").status_code == 202
    assert ask_code(api, "13800000002").status_code == 202
    third = ask_code(api, "13800000003")
    assert third.status_code == 429 and int(third["Retry-After"]) > 0
    assert len(aliyun_sms.sent) == 2


def test_the_answer_never_says_whether_a_phone_has_an_account(api, aliyun_sms):
    owner = make_user(username="has_phone")
    ContactPoint.objects.create(user=owner, channel="sms", address=PHONE,
                                verified_at=timezone.now())
    known, unknown = ask_code(api, PHONE), ask_code(api, "13900000000")
    assert known.status_code == unknown.status_code == 202
    assert set(known.json()) == set(unknown.json()) == {"expires_at", "resend_after"}
    assert known.json()["resend_after"] == unknown.json()["resend_after"]
    # and the sign-in of the known phone finds its owner
    signed = api.post("/auth/phone", {"phone": PHONE, "code": code_sent_to(aliyun_sms)})
    assert signed.json()["user"]["id"] == owner.pk and signed.json()["created"] is False


def test_with_no_sms_provider_the_code_is_503_sms_unavailable(api, settings):
    settings.SMS_PROVIDER = ""
    answer = ask_code(api)
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "sms_unavailable"
    assert int(answer["Retry-After"]) > 0
    assert not PhoneCode.objects.exists()


@pytest.mark.parametrize("fault", ["500", "hang"])
def test_a_gateway_down_is_503_and_gives_the_minute_back(api, aliyun_sms, settings, fault):
    settings.NOTIFY_HTTP_TIMEOUT = 0.5
    aliyun_sms.fault = fault
    answer = ask_code(api)
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "sms_unavailable"
    aliyun_sms.fault = None
    assert ask_code(api).status_code == 202  # at once: nothing went out the first time
    assert api.post("/auth/phone", {"phone": PHONE,
                                    "code": code_sent_to(aliyun_sms)}).status_code == 200


def test_a_number_the_gateway_refuses_is_422_on_phone(api, tencent_sms):
    tencent_sms.refuse(PHONE)
    answer = ask_code(api)
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["field"] == "phone"


def test_a_gateway_that_rejects_our_signature_is_503(api, aliyun_sms, settings):
    settings.SMS_KEY_SECRET = "not-the-secret"
    assert ask_code(api).status_code == 503
    assert aliyun_sms.sent == []


def test_the_console_provider_logs_the_recipient_and_the_whole_text(api, settings, caplog):
    settings.SMS_PROVIDER = "console"
    with caplog.at_level(logging.WARNING, logger="notify.console"):
        assert ask_code(api).status_code == 202
    lines = [r.getMessage() for r in caplog.records if r.name == "notify.console"]
    assert len(lines) == 1 and PHONE in lines[0]
    code = lines[0].split("验证码是 ")[1][:6]
    assert api.post("/auth/phone", {"phone": PHONE, "code": code}).status_code == 200


def test_an_account_adds_a_verified_phone_and_then_signs_in_with_it(api, aliyun_sms):
    user = make_user(username="xiuying")
    own = client_for(user)
    assert ask_code(api).status_code == 202
    added = own.post("/me/contacts", {"channel": "sms", "phone": PHONE,
                                      "code": code_sent_to(aliyun_sms)})
    assert added.status_code == 201, added.content
    assert added.json()["verified"] is True and added.json()["address"] == PHONE
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert ask_code(api).status_code == 202
        signed = api.post("/auth/phone", {"phone": PHONE, "code": code_sent_to(aliyun_sms)})
    assert signed.json()["user"]["id"] == user.pk and signed.json()["created"] is False
    # the password still works
    assert api.post("/auth/token", {"username": "xiuying",
                                    "password": PASSWORD}).status_code == 200


def test_a_malformed_code_is_422_naming_the_field(api):
    answer = api.post("/auth/phone", {"phone": PHONE, "code": "12ab"})
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["field"] == "code"

"""The Alipay provider against a fake Alipay gateway (tests/payments/fake_alipay.py): what it signs,
what it believes, and what it makes of each answer and notification."""

import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.test import RequestFactory

from payments.providers.base import (
    Charge,
    NotificationRefused,
    ProviderRefused,
    ProviderUnavailable,
    RefundOrder,
)
from payments.registry import METHODS, PROVIDERS
from tests.payments.fake_alipay import new_key, private_pem, public_pem, signed_text, verifies

pytestmark = pytest.mark.backend_independent  # no database: CI runs it in the PostgreSQL pass

alipay = PROVIDERS["alipay"]
EXPIRES = datetime(2026, 12, 1, 4, 30, tzinfo=UTC)  # 12:30 in Beijing


def charge(method="alipay_wap", number="PAY20261201001", amount="12.50", **kwargs):
    return Charge(out_trade_no=number, amount=Decimal(amount), currency="CNY",
                  description="山货订单 SH20261201001：高山苹果 x2", method=method,
                  notify_url="https://shanhuo.example/api/v1/payments/webhooks/alipay",
                  expires_at=EXPIRES, **kwargs)


def refund_order(number="PAY20261201001", refund_no="RF1", amount="10.00", total="30.00"):
    return RefundOrder(out_trade_no=number, transaction_id="", out_refund_no=refund_no,
                       amount=Decimal(amount), total=Decimal(total), currency="CNY",
                       reason="买家取消", notify_url="https://shanhuo.example/n")


def paid_trade(platform, number="PAY20261201001", amount="30.00"):
    platform.pay(alipay.start(charge(number=number, amount=amount)))
    return number


def notification_request(params_or_body, content_type="application/x-www-form-urlencoded"):
    body = params_or_body if isinstance(params_or_body, bytes | str) else urlencode(
        params_or_body)
    return RequestFactory().post("/api/v1/payments/webhooks/alipay", data=body,
                                 content_type=content_type)


# --- registration -----------------------------------------------------------------------------

def test_alipay_is_registered_with_its_two_methods():
    assert alipay.name == "alipay"
    assert METHODS["alipay_wap"] == "alipay" and METHODS["alipay_app"] == "alipay"


# --- start: nothing over the network, a signed link or order string ---------------------------

def test_wap_pay_is_a_gateway_link_signed_with_the_app_key(alipay_platform):
    action = alipay.start(charge(return_url="https://shanhuo.example/orders/1"))

    assert action["type"] == "redirect"
    assert action["url"].startswith(alipay_platform.gateway + "?")
    params = alipay_platform.signed_params(action)  # raises unless the app signature verifies
    assert params["method"] == "alipay.trade.wap.pay"
    assert params["app_id"] == alipay_platform.app_id
    assert (params["format"], params["charset"], params["sign_type"], params["version"]) == (
        "JSON", "utf-8", "RSA2", "1.0")
    assert params["notify_url"] == "https://shanhuo.example/api/v1/payments/webhooks/alipay"
    assert params["return_url"] == "https://shanhuo.example/orders/1"
    datetime.strptime(params["timestamp"], "%Y-%m-%d %H:%M:%S")
    biz = json.loads(params["biz_content"])
    assert biz == {"out_trade_no": "PAY20261201001", "total_amount": "12.50",
                   "subject": "山货订单 SH20261201001：高山苹果 x2",
                   "product_code": "QUICK_WAP_WAY", "time_expire": "2026-12-01 12:30:00",
                   "quit_url": "https://shanhuo.example/orders/1"}
    # compact and not ASCII-escaped, as signed
    assert '"subject":"山货订单' in params["biz_content"]
    assert alipay_platform.requests == []


def test_app_pay_is_an_order_string_for_the_alipay_sdk(alipay_platform):
    action = alipay.start(charge(method="alipay_app", amount="7"))

    assert action["type"] == "sdk" and set(action) == {"type", "order_string"}
    params = alipay_platform.signed_params(action)
    assert params["method"] == "alipay.trade.app.pay"
    assert "return_url" not in params
    biz = json.loads(params["biz_content"])
    assert biz["product_code"] == "QUICK_MSECURITY_PAY"
    assert biz["total_amount"] == "7.00"
    assert "quit_url" not in biz
    assert alipay_platform.requests == []


def test_the_signature_covers_every_parameter(alipay_platform):
    action = alipay.start(charge())
    params = alipay_platform.signed_params(action)
    for name, forged in (("biz_content", params["biz_content"].replace("12.50", "0.01")),
                         ("notify_url", "https://evil.example/n")):
        assert not verifies(alipay_platform.app_key, signed_text({**params, name: forged}),
                            params["sign"])


def test_subject_loses_the_characters_alipay_refuses(alipay_platform):
    action = alipay.start(Charge(out_trade_no="P1", amount=Decimal("1.00"), currency="CNY",
                                 description="苹果/梨=2&桃", method="alipay_app",
                                 notify_url="https://x.example/n", expires_at=EXPIRES))
    biz = json.loads(alipay_platform.signed_params(action)["biz_content"])
    assert biz["subject"] == "苹果 梨 2 桃"


# --- query ------------------------------------------------------------------------------------

def test_query_follows_the_trade_from_unknown_to_paid(alipay_platform):
    action = alipay.start(charge())
    assert alipay.query("PAY20261201001").status == "pending"  # cashier never opened

    alipay_platform.open_cashier(action)
    assert alipay.query("PAY20261201001").status == "pending"

    alipay_platform.pay(action)
    trade = alipay.query("PAY20261201001")
    assert trade.status == "succeeded"
    assert trade.amount == Decimal("12.50")
    assert trade.transaction_id == alipay_platform.trades["PAY20261201001"].trade_no
    assert trade.paid_at is not None and trade.paid_at.utcoffset() == timedelta(hours=8)
    # the request was signed with the app key and checked by the gateway
    assert alipay_platform.requests[-1]["method"] == "alipay.trade.query"
    assert json.loads(alipay_platform.requests[-1]["biz_content"]) == {
        "out_trade_no": "PAY20261201001"}


def test_query_of_a_closed_trade(alipay_platform):
    alipay_platform.open_cashier(alipay.start(charge()))
    alipay.close("PAY20261201001")
    assert alipay.query("PAY20261201001").status == "closed"


def test_the_answer_is_verified_over_its_exact_text(alipay_platform):
    """The fake writes \\u escapes, spaces and a `}` inside a string: only the text cut out of
    the body verifies, a re-serialised object would not."""
    alipay_platform.extra = {"sub_msg": "不存在 }{ \"引号\""}
    assert alipay.query("NOPE").status == "pending"
    alipay_platform.pay(alipay.start(charge()))
    assert alipay.query("PAY20261201001").status == "succeeded"


# --- close ------------------------------------------------------------------------------------

def test_close_of_a_trade_never_opened_is_not_an_error(alipay_platform):
    alipay.start(charge())
    assert alipay.close("PAY20261201001") is None


def test_close_of_a_waiting_trade_closes_it_and_again_is_not_an_error(alipay_platform):
    alipay_platform.open_cashier(alipay.start(charge()))
    alipay.close("PAY20261201001")
    assert alipay_platform.trades["PAY20261201001"].status == "TRADE_CLOSED"
    assert alipay.close("PAY20261201001") is None


def test_close_of_a_paid_trade_is_refused_as_paid(alipay_platform):
    paid_trade(alipay_platform)
    with pytest.raises(ProviderRefused) as refused:
        alipay.close("PAY20261201001")
    assert refused.value.code == "paid"
    assert alipay_platform.trades["PAY20261201001"].status == "TRADE_SUCCESS"


# --- refunds ----------------------------------------------------------------------------------

def test_partial_refunds_each_with_its_own_request_number(alipay_platform):
    paid_trade(alipay_platform, amount="30.00")

    first = alipay.refund(refund_order(refund_no="RF1", amount="10.00"))
    second = alipay.refund(refund_order(refund_no="RF2", amount="12.00"))

    assert (first.status, first.amount, first.out_refund_no) == ("succeeded", Decimal("10.00"),
                                                                 "RF1")
    assert (second.status, second.amount) == ("succeeded", Decimal("12.00"))
    trade = alipay_platform.trades["PAY20261201001"]
    assert trade.refunds == {"RF1": Decimal("10.00"), "RF2": Decimal("12.00")}
    sent = json.loads(alipay_platform.requests[-1]["biz_content"])
    assert sent["out_request_no"] == "RF2" and sent["refund_amount"] == "12.00"
    assert alipay.query("PAY20261201001").status == "succeeded"  # partly refunded, still paid


def test_asking_for_the_same_refund_twice_refunds_once(alipay_platform):
    paid_trade(alipay_platform, amount="30.00")
    alipay.refund(refund_order(refund_no="RF1", amount="10.00"))

    again = alipay.refund(refund_order(refund_no="RF1", amount="10.00"))

    assert again.status == "succeeded"  # fund_change "N", confirmed by the refund query
    assert alipay_platform.trades["PAY20261201001"].refunded == Decimal("10.00")
    assert alipay_platform.requests[-1]["method"] == "alipay.trade.fastpay.refund.query"


def test_a_repeated_refund_the_query_does_not_see_yet_is_pending_not_failed(alipay_platform):
    paid_trade(alipay_platform, amount="30.00")
    alipay.refund(refund_order(refund_no="RF1", amount="10.00"))
    alipay_platform.faults.extend(["", "refund_not_visible"])  # refund "N", then the query

    assert alipay.refund(refund_order(refund_no="RF1", amount="10.00")).status == "pending"


def test_a_whole_refund_closes_the_trade(alipay_platform):
    paid_trade(alipay_platform, amount="30.00")
    result = alipay.refund(refund_order(refund_no="RF1", amount="30.00"))
    assert result.status == "succeeded"
    assert alipay.query("PAY20261201001").status == "closed"


def test_a_refund_beyond_the_payment_is_refused(alipay_platform):
    paid_trade(alipay_platform, amount="30.00")
    alipay.refund(refund_order(refund_no="RF1", amount="20.00"))
    with pytest.raises(ProviderRefused) as refused:
        alipay.refund(refund_order(refund_no="RF2", amount="10.01"))
    assert refused.value.code == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"


def test_refund_of_an_unpaid_trade_is_refused(alipay_platform):
    alipay_platform.open_cashier(alipay.start(charge()))
    with pytest.raises(ProviderRefused) as refused:
        alipay.refund(refund_order())
    assert refused.value.code == "ACQ.TRADE_STATUS_ERROR"


def test_refund_query(alipay_platform):
    paid_trade(alipay_platform, amount="30.00")
    alipay.refund(refund_order(refund_no="RF1", amount="10.00"))

    done = alipay.refund_query(refund_order(refund_no="RF1", amount="10.00"))
    assert (done.status, done.amount) == ("succeeded", Decimal("10.00"))

    # Alipay answers 10000 without refund_status: never received, or failed -> ask again
    with pytest.raises(ProviderRefused) as unknown:
        alipay.refund_query(refund_order(refund_no="RF9", amount="5.00"))
    assert unknown.value.code == "refund_not_found"
    assert json.loads(alipay_platform.requests[-1]["biz_content"]) == {
        "out_trade_no": "PAY20261201001", "out_request_no": "RF9"}


# --- answers we do not believe, platforms that fail -------------------------------------------

@pytest.mark.parametrize("fault", ["bad_sign", "no_sign", "tampered", "500"])
def test_an_answer_we_cannot_believe_is_unavailable(alipay_platform, fault):
    alipay_platform.open_cashier(alipay.start(charge()))
    alipay_platform.faults.append(fault)
    with pytest.raises(ProviderUnavailable):
        alipay.query("PAY20261201001")
    assert alipay.query("PAY20261201001").status == "pending"  # the next call is fine


@pytest.mark.parametrize("call", ["query", "close", "refund", "refund_query"])
def test_a_gateway_that_hangs_costs_the_timeout_and_is_unavailable(alipay_platform, settings,
                                                                   call):
    settings.PAYMENT_HTTP_TIMEOUT = 0.3
    paid_trade(alipay_platform)
    alipay_platform.faults.append("hang")
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        if call in ("query", "close"):
            getattr(alipay, call)("PAY20261201001")
        else:
            getattr(alipay, call)(refund_order())
    assert time.monotonic() - started < 2
    assert alipay_platform.trades["PAY20261201001"].refunded == Decimal("0.00")


def test_a_refund_answered_500_moves_nothing_and_can_be_asked_again(alipay_platform):
    paid_trade(alipay_platform)
    alipay_platform.faults.append("500")
    with pytest.raises(ProviderUnavailable):
        alipay.refund(refund_order())
    assert alipay.refund(refund_order()).status == "succeeded"
    assert alipay_platform.trades["PAY20261201001"].refunded == Decimal("10.00")


def test_a_request_signed_with_another_key_is_refused_by_the_gateway(alipay_platform, settings,
                                                                     tmp_path):
    other = tmp_path / "other.pem"
    other.write_bytes(private_pem(new_key()))
    settings.ALIPAY_PRIVATE_KEY = str(other)
    with pytest.raises(ProviderUnavailable, match="isv.invalid-signature"):
        alipay.query("PAY20261201001")


def test_an_unreachable_gateway_is_unavailable(alipay_platform, settings):
    alipay_platform.stop()
    with pytest.raises(ProviderUnavailable):
        alipay.query("PAY20261201001")


# --- notifications ----------------------------------------------------------------------------

def test_a_payment_notification_is_read(alipay_platform):
    params = paid_trade_notification(alipay_platform)

    notice = alipay.parse_notification(notification_request(params))

    assert notice.event_id == params["notify_id"]
    assert notice.refund is None
    trade = notice.trade
    assert (trade.out_trade_no, trade.status, trade.amount) == (
        "PAY20261201001", "succeeded", Decimal("30.00"))
    assert trade.transaction_id == params["trade_no"]
    assert trade.paid_at == datetime.strptime(params["gmt_payment"], "%Y-%m-%d %H:%M:%S"
                                              ).replace(tzinfo=trade.paid_at.tzinfo)
    assert trade.paid_at.utcoffset() == timedelta(hours=8)


def paid_trade_notification(platform, amount="30.00"):
    return platform.pay(alipay.start(charge(amount=amount)))


def test_a_closed_trade_notification(alipay_platform):
    alipay_platform.open_cashier(alipay.start(charge()))
    alipay_platform.trades["PAY20261201001"].status = "TRADE_CLOSED"
    params = alipay_platform.trade_notification("PAY20261201001")
    assert alipay.parse_notification(notification_request(params)).trade.status == "closed"


def test_a_refund_notification_names_our_refund(alipay_platform):
    paid_trade(alipay_platform, amount="30.00")
    alipay.refund(refund_order(refund_no="RF1", amount="10.00"))
    alipay.refund(refund_order(refund_no="RF2", amount="5.00"))

    notice = alipay.parse_notification(notification_request(
        alipay_platform.refund_notification("PAY20261201001", "RF2")))

    assert notice.trade is None
    assert notice.refund.out_refund_no == "RF2"
    assert notice.refund.status == "succeeded"
    # refund_fee (15.00) is the trade's total refunded, not this refund: left unknown
    assert notice.refund.amount is None
    assert notice.payload["refund_fee"] == "15.00"


def test_the_notice_of_a_whole_refund_is_not_read_as_a_closed_payment(alipay_platform):
    paid_trade(alipay_platform, amount="30.00")
    alipay.refund(refund_order(refund_no="RF1", amount="30.00"))
    params = alipay_platform.refund_notification("PAY20261201001", "RF1")
    assert params["trade_status"] == "TRADE_CLOSED"
    notice = alipay.parse_notification(notification_request(params))
    assert notice.trade is None and notice.refund.out_refund_no == "RF1"


@pytest.mark.parametrize("change", [
    {"total_amount": "0.01"},
    {"trade_status": "TRADE_SUCCESS", "out_trade_no": "PAY-SOMEONE-ELSE"},
    {"extra_field": "added"},
])
def test_a_tampered_notification_is_refused(alipay_platform, change):
    params = {**paid_trade_notification(alipay_platform), **change}
    with pytest.raises(NotificationRefused):
        alipay.parse_notification(notification_request(params))


def test_a_notification_signed_with_another_key_is_refused(alipay_platform):
    """The classic mistake (python-alipay-sdk #21, #36): a notification signed with the app's own
    key must not verify."""
    params = paid_trade_notification(alipay_platform)
    forged = alipay_platform.signed_notification(params, key=alipay_platform.app_key)
    with pytest.raises(NotificationRefused):
        alipay.parse_notification(notification_request(forged))


def test_a_notification_for_another_app_is_refused(alipay_platform):
    paid_trade(alipay_platform)
    params = alipay_platform.trade_notification("PAY20261201001", app_id="2021009999999999")
    with pytest.raises(NotificationRefused, match="another app"):
        alipay.parse_notification(notification_request(params))


@pytest.mark.parametrize("mangle", [
    lambda p: {k: v for k, v in p.items() if k != "sign"},
    lambda p: {**p, "sign": "not base64 at all!"},
    lambda p: {**p, "sign_type": "RSA"},
])
def test_an_unsigned_or_oddly_signed_notification_is_refused(alipay_platform, mangle):
    params = mangle(paid_trade_notification(alipay_platform))
    with pytest.raises(NotificationRefused):
        alipay.parse_notification(notification_request(params))


@pytest.mark.parametrize("body", [
    b"",
    b"not a form",
    b'{"json": "instead"}',
    b"trade_status=TRADE_SUCCESS&trade_status=TRADE_SUCCESS",
    b"subject=\xff\xfe",
    b"out_trade_no=%00",
])
def test_a_malformed_body_is_refused(alipay_platform, body):
    with pytest.raises(NotificationRefused):
        alipay.parse_notification(notification_request(body))


@pytest.mark.parametrize("change", [
    {"notify_id": ""},
    {"total_amount": "12.5.0"},
    {"total_amount": "-1.00"},
    {"total_amount": "1e9"},
    {"trade_status": "TRADE_UNKNOWN"},
    {"out_trade_no": ""},
])
def test_a_well_signed_but_malformed_notification_is_refused(alipay_platform, change):
    paid_trade(alipay_platform)
    params = alipay_platform.trade_notification("PAY20261201001", **change)
    with pytest.raises(NotificationRefused, match="malformed"):
        alipay.parse_notification(notification_request(params))


def test_a_duplicate_notification_carries_the_same_event_id(alipay_platform):
    params = paid_trade_notification(alipay_platform)
    first = alipay.parse_notification(notification_request(params))
    again = alipay.parse_notification(notification_request(params))
    assert first.event_id == again.event_id


def test_answers_to_alipay():
    ok = alipay.acknowledge()
    assert (ok.status_code, ok.content) == (200, b"success")
    assert ok["Content-Type"].startswith("text/plain")
    no = alipay.refuse(NotificationRefused("bad"))
    assert no.status_code == 400 and no.content != b"success"
    assert no["Content-Type"].startswith("text/plain")


# --- configuration ----------------------------------------------------------------------------

@pytest.fixture
def unconfigured(settings):
    settings.ALIPAY_APP_ID = ""
    settings.ALIPAY_PRIVATE_KEY = ""
    settings.ALIPAY_PUBLIC_KEY = ""
    settings.ALIPAY_GATEWAY = "https://openapi.alipay.com/gateway.do"
    return settings


def test_no_settings_is_one_not_configured_problem(unconfigured):
    problems = alipay.problems()
    assert len(problems) == 1 and "not configured" in problems[0]
    assert not alipay.configured()


def test_some_settings_name_the_missing_ones(unconfigured, alipay_platform):
    unconfigured.ALIPAY_APP_ID = ""
    problems = alipay.problems()
    assert problems == ["Alipay is half configured: ALIPAY_APP_ID is not set."]


def test_a_configured_platform_has_no_problems(alipay_platform):
    assert alipay.problems() == []
    assert alipay.configured()


def test_unreadable_and_non_rsa_keys_are_problems(alipay_platform, settings, tmp_path):
    ec_pem = tmp_path / "ec.pem"
    ec_pem.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    settings.ALIPAY_PRIVATE_KEY = str(ec_pem)
    settings.ALIPAY_PUBLIC_KEY = str(garbage)

    problems = alipay.problems()

    assert len(problems) == 2
    assert "ALIPAY_PRIVATE_KEY" in problems[0] and "RSA private key" in problems[0]
    assert "ALIPAY_PUBLIC_KEY" in problems[1]

    settings.ALIPAY_PUBLIC_KEY = str(tmp_path / "missing.pem")
    assert any("missing.pem" in p for p in alipay.problems())


def test_the_apps_own_public_key_in_place_of_alipays_is_a_problem(alipay_platform, settings,
                                                                   tmp_path):
    own = tmp_path / "own_public.pem"
    own.write_bytes(public_pem(alipay_platform.app_key))
    settings.ALIPAY_PUBLIC_KEY = str(own)
    assert any("not the app's own" in p for p in alipay.problems())


@pytest.mark.parametrize("gateway", ["http://openapi.alipay.com/gateway.do", "openapi.alipay.com",
                                     "ftp://openapi.alipay.com/"])
def test_a_gateway_that_is_not_https_is_a_problem(alipay_platform, settings, gateway):
    settings.ALIPAY_GATEWAY = gateway
    assert any("ALIPAY_GATEWAY" in p for p in alipay.problems())


def test_a_short_key_is_a_problem(alipay_platform, settings, tmp_path):
    short = tmp_path / "short.pem"
    short.write_bytes(private_pem(rsa.generate_private_key(public_exponent=65537,
                                                           key_size=1024)))
    settings.ALIPAY_PRIVATE_KEY = str(short)
    assert any("1024-bit" in p for p in alipay.problems())


def test_a_key_pasted_from_the_console_without_pem_lines_is_read(alipay_platform, settings,
                                                                 tmp_path):
    bare = tmp_path / "alipay_public_bare.txt"
    bare.write_text("".join(public_pem(alipay_platform.alipay_key).decode()
                            .splitlines()[1:-1]))
    settings.ALIPAY_PUBLIC_KEY = str(bare)
    assert alipay.problems() == []
    alipay_platform.pay(alipay.start(charge()))
    assert alipay.query("PAY20261201001").status == "succeeded"

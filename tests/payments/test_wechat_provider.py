"""The WeChat Pay API v3 provider against a fake platform (tests/payments/fake_wechat.py) that
checks our request signatures and signs its answers and notifications."""

import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import RequestFactory

from payments.providers.base import (
    Charge,
    NotificationRefused,
    ProviderRefused,
    ProviderUnavailable,
    RefundOrder,
)
from payments.registry import PROVIDERS, provider_of_method
from tests.payments.fake_wechat import (
    FakeWeChatPay,
    certificate_key,
    new_key,
    private_pem,
    public_pem,
    verify,
)

pytestmark = pytest.mark.backend_independent  # no database: CI runs it in the PostgreSQL pass

wechat = PROVIDERS["wechat"]
NOTIFY = "https://shop.example.cn/api/v1/payments/webhooks/wechat"


def charge(method="wechat_native", number="SH20261201000001", amount="12.34", **extra):
    fields = {"out_trade_no": number, "amount": Decimal(amount), "currency": "CNY",
              "description": "山货-富平柿饼 2 斤", "method": method, "notify_url": NOTIFY,
              "expires_at": datetime(2026, 12, 1, 4, 30, tzinfo=UTC)}
    return Charge(**{**fields, **extra})


def refund_order(number="SH20261201000001", out_refund_no="RF1", amount="2.00", total="12.34",
                 transaction_id=""):
    return RefundOrder(out_trade_no=number, transaction_id=transaction_id,
                       out_refund_no=out_refund_no, amount=Decimal(amount), total=Decimal(total),
                       currency="CNY", reason="买家取消", notify_url=NOTIFY)


def webhook_request(headers: dict, body: bytes):
    return RequestFactory().post("/api/v1/payments/webhooks/wechat", data=body,
                                 content_type="application/json", headers=headers)


def paid(platform: FakeWeChatPay, number="SH20261201000001", amount="12.34"):
    wechat.start(charge(number=number, amount=amount))
    return platform.pay(number)


# --- registration ---

def test_wechat_is_registered_with_its_three_methods():
    assert wechat.name == "wechat"
    for method in ("wechat_jsapi", "wechat_h5", "wechat_native"):
        assert provider_of_method(method) is wechat


# --- prepay ---

def test_native_prepay_answers_a_qr_code_and_sends_what_the_platform_needs(wechat_platform):
    action = wechat.start(charge())

    trade = wechat_platform.trades["SH20261201000001"]
    assert action == {"type": "qr", "code_url": f"weixin://wxpay/bizpayurl?pr={trade.prepay_id[-9:]}"}
    sent = wechat_platform.requests_to("/v3/pay/transactions/native")[0].json
    assert sent["amount"] == {"total": 1234, "currency": "CNY"}
    assert sent["time_expire"] == "2026-12-01T12:30:00+08:00"  # Beijing time, RFC 3339
    assert sent["notify_url"] == NOTIFY and sent["description"] == "山货-富平柿饼 2 斤"
    assert (sent["appid"], sent["mchid"]) == (wechat_platform.appid, wechat_platform.mchid)


def test_jsapi_prepay_answers_params_signed_with_the_merchant_key(wechat_platform):
    action = wechat.start(charge("wechat_jsapi", openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"))

    trade = wechat_platform.trades["SH20261201000001"]
    assert trade.openid == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" and trade.kind == "JSAPI"
    params = action["params"]
    assert action["type"] == "jsapi"
    assert params["appId"] == wechat_platform.appid and params["signType"] == "RSA"
    assert params["package"] == f"prepay_id={trade.prepay_id}"
    assert abs(int(params["timeStamp"]) - time.time()) < 60 and len(params["nonceStr"]) == 32
    message = (f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n"
               f"{params['package']}\n").encode()
    assert verify(wechat_platform.merchant_key.public_key(), params["paySign"], message)
    assert not verify(wechat_platform.platform_key.public_key(), params["paySign"], message)


def test_jsapi_without_openid_is_refused_before_any_call(wechat_platform):
    with pytest.raises(ProviderRefused):
        wechat.start(charge("wechat_jsapi"))
    assert wechat_platform.received == []


def test_h5_prepay_redirects_to_the_cashier_and_back(wechat_platform):
    action = wechat.start(charge("wechat_h5", client_ip="203.0.113.9",
                                 return_url="https://shop.example.cn/orders/7"))

    assert action["type"] == "redirect"
    assert action["url"].startswith("https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?")
    assert action["url"].endswith(
        "&redirect_url=https%3A%2F%2Fshop.example.cn%2Forders%2F7")
    sent = wechat_platform.requests_to("/v3/pay/transactions/h5")[0].json
    assert sent["scene_info"] == {"payer_client_ip": "203.0.113.9", "h5_info": {"type": "Wap"}}


def test_a_long_description_is_cut_to_127_bytes_without_breaking_a_character(wechat_platform):
    wechat.start(charge(description="富平柿饼" * 20))

    sent = wechat_platform.requests_to("/v3/pay/transactions/native")[0].json["description"]
    assert len(sent.encode()) <= 127 and sent == "富平柿饼" * 10 + "富平"


def test_a_request_signed_with_another_key_is_refused_by_the_platform(wechat_platform):
    wechat_platform.private_key_path.write_bytes(private_pem(new_key()))

    with pytest.raises(ProviderUnavailable, match="401 SIGN_ERROR"):
        wechat.start(charge())
    assert wechat_platform.trades == {}
    with pytest.raises(ProviderUnavailable, match="401 SIGN_ERROR"):  # never "refused"
        wechat.refund(refund_order())


def test_prepay_of_a_paid_trade_is_refused_with_the_platform_code(wechat_platform):
    paid(wechat_platform)
    with pytest.raises(ProviderRefused) as refused:
        wechat.start(charge())
    assert refused.value.code == "ORDERPAID" and "已支付" in str(refused.value)


# --- query and close ---

def test_query_of_a_trade_the_platform_never_saw_is_pending(wechat_platform):
    trade = wechat.query("SH-UNKNOWN")
    assert trade.status == "pending" and trade.out_trade_no == "SH-UNKNOWN"


@pytest.mark.parametrize("state,status", [("NOTPAY", "pending"), ("USERPAYING", "pending"),
                                          ("CLOSED", "closed"), ("REVOKED", "closed"),
                                          ("PAYERROR", "failed")])
def test_query_maps_the_trade_state(wechat_platform, state, status):
    wechat.start(charge())
    wechat_platform.set_state("SH20261201000001", state)
    assert wechat.query("SH20261201000001").status == status


def test_query_of_a_paid_trade_says_who_paid_how_much_and_when(wechat_platform):
    fake = paid(wechat_platform)

    trade = wechat.query("SH20261201000001")
    assert trade.status == "succeeded" and trade.amount == Decimal("12.34")
    assert trade.transaction_id == fake.transaction_id
    assert trade.paid_at == datetime.fromisoformat(fake.success_time)
    wechat_platform.set_state("SH20261201000001", "REFUND")  # refunded since: it was paid
    assert wechat.query("SH20261201000001").status == "succeeded"
    assert "mchid=1900000109" in wechat_platform.requests_to("/v3/pay/transactions/out")[0].path


def test_close_closes_an_unpaid_trade_and_a_missing_one_is_fine(wechat_platform):
    wechat.start(charge())
    wechat.close("SH20261201000001")
    assert wechat_platform.trades["SH20261201000001"].state == "CLOSED"
    wechat.close("SH20261201000001")  # again
    wechat.close("SH-NEVER-STARTED")


def test_close_while_the_payer_is_paying_is_not_a_close(wechat_platform):
    wechat.start(charge())
    wechat_platform.set_state("SH20261201000001", "USERPAYING")
    with pytest.raises(ProviderUnavailable):
        wechat.close("SH20261201000001")
    assert wechat_platform.trades["SH20261201000001"].state == "USERPAYING"


def test_close_of_a_paid_trade_is_refused_as_paid(wechat_platform):
    paid(wechat_platform)
    with pytest.raises(ProviderRefused) as refused:
        wechat.close("SH20261201000001")
    assert refused.value.code == "paid"
    assert wechat_platform.trades["SH20261201000001"].state == "SUCCESS"


# --- refunds ---

def test_partial_then_whole_refund_and_never_more(wechat_platform):
    fake = paid(wechat_platform)

    first = wechat.refund(refund_order(amount="2.00", transaction_id=fake.transaction_id))
    assert first.status == "pending" and first.amount == Decimal("2.00") and first.refund_id
    sent = wechat_platform.requests_to("/v3/refund/domestic/refunds")[0].json
    assert sent["amount"] == {"refund": 200, "total": 1234, "currency": "CNY"}
    assert sent["transaction_id"] == fake.transaction_id and "out_trade_no" not in sent
    assert sent["notify_url"] == NOTIFY and sent["reason"] == "买家取消"

    rest = wechat.refund(refund_order(out_refund_no="RF2", amount="10.34"))
    assert rest.amount == Decimal("10.34")
    with pytest.raises(ProviderRefused) as refused:
        wechat.refund(refund_order(out_refund_no="RF3", amount="0.01"))
    assert refused.value.code == "INVALID_REQUEST"


def test_asking_the_same_refund_twice_refunds_once(wechat_platform):
    paid(wechat_platform)
    first = wechat.refund(refund_order())
    again = wechat.refund(refund_order())
    assert again.refund_id == first.refund_id and len(wechat_platform.refunds) == 1


def test_refund_query_follows_the_refund(wechat_platform):
    paid(wechat_platform)
    order = refund_order(amount="12.34")
    wechat.refund(order)
    assert wechat.refund_query(order).status == "pending"
    wechat_platform.settle_refund("RF1")
    result = wechat.refund_query(order)
    assert result.status == "succeeded" and result.amount == Decimal("12.34")
    wechat_platform.settle_refund("RF1", "ABNORMAL")
    assert wechat.refund_query(order).status == "failed"


def test_refund_query_of_a_refund_the_platform_never_got_is_refused(wechat_platform):
    with pytest.raises(ProviderRefused) as refused:
        wechat.refund_query(refund_order(out_refund_no="RF-LOST"))
    assert refused.value.code == "RESOURCE_NOT_EXISTS"


# --- answers we do not believe, a platform that fails ---

@pytest.mark.parametrize("fault", ["bad_signature", "wrong_key", "unsigned"])
def test_an_answer_whose_signature_does_not_verify_is_not_believed(wechat_platform, fault):
    paid(wechat_platform)
    wechat_platform.fault = fault
    with pytest.raises(ProviderUnavailable):
        wechat.query("SH20261201000001")
    with pytest.raises(ProviderUnavailable):
        wechat.start(charge(number="SH20261201000002"))


def test_an_answer_signed_by_an_unknown_key_serial_is_not_believed(wechat_platform, settings):
    paid(wechat_platform)
    settings.WECHATPAY_PLATFORM_KEY_ID = "PUB_KEY_ID_SOMEONE_ELSE"
    with pytest.raises(ProviderUnavailable):
        wechat.query("SH20261201000001")


def test_an_answer_replayed_later_is_not_believed(wechat_platform, settings):
    paid(wechat_platform)
    settings.PAYMENT_WEBHOOK_TOLERANCE = -1  # every timestamp is too old
    with pytest.raises(ProviderUnavailable):
        wechat.query("SH20261201000001")


def test_a_platform_answering_500_is_unavailable(wechat_platform):
    wechat_platform.fault = "500"
    with pytest.raises(ProviderUnavailable):
        wechat.start(charge())
    with pytest.raises(ProviderUnavailable):
        wechat.refund(refund_order())


def test_a_platform_that_hangs_costs_at_most_the_timeout(wechat_platform, settings):
    settings.PAYMENT_HTTP_TIMEOUT = 0.3
    wechat_platform.fault = "hang"
    began = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        wechat.query("SH20261201000001")
    assert time.monotonic() - began < 3


def test_calls_without_configuration_are_unavailable_and_never_leave(settings):
    settings.WECHATPAY_MCHID = ""
    with pytest.raises(ProviderUnavailable):
        wechat.query("SH20261201000001")


# --- notifications ---

def test_a_payment_notification_is_read(wechat_platform):
    fake = paid(wechat_platform)
    headers, body = wechat_platform.transaction_notification("SH20261201000001",
                                                             event_id="EV-1")

    notice = wechat.parse_notification(webhook_request(headers, body))

    assert notice.event_id == "EV-1" and notice.refund is None
    assert notice.trade.out_trade_no == "SH20261201000001"
    assert notice.trade.status == "succeeded" and notice.trade.amount == Decimal("12.34")
    assert notice.trade.transaction_id == fake.transaction_id
    assert notice.trade.paid_at == datetime.fromisoformat(fake.success_time)
    assert notice.payload["event_type"] == "TRANSACTION.SUCCESS"
    assert "payer" not in notice.payload["resource"]  # a person's openid is not kept


def test_a_refund_notification_is_read(wechat_platform):
    paid(wechat_platform)
    wechat.refund(refund_order(amount="2.00"))
    refund = wechat_platform.settle_refund("RF1")
    headers, body = wechat_platform.refund_notification("RF1")

    notice = wechat.parse_notification(webhook_request(headers, body))

    assert notice.trade is None
    assert notice.refund.out_refund_no == "RF1" and notice.refund.status == "succeeded"
    assert notice.refund.amount == Decimal("2.00") and notice.refund.refund_id == refund.refund_id


def test_an_abnormal_refund_notification_is_a_failed_refund(wechat_platform):
    paid(wechat_platform)
    wechat.refund(refund_order())
    wechat_platform.settle_refund("RF1", "ABNORMAL")
    headers, body = wechat_platform.refund_notification("RF1")
    assert wechat.parse_notification(webhook_request(headers, body)).refund.status == "failed"


def refused_status(headers, body) -> int:
    with pytest.raises(NotificationRefused) as refused:
        wechat.parse_notification(webhook_request(headers, body))
    return refused.value.status


def test_a_tampered_body_is_401(wechat_platform):
    paid(wechat_platform)
    headers, body = wechat_platform.transaction_notification("SH20261201000001")
    tampered = body.replace(b'"event_type": "TRANSACTION.SUCCESS"',
                            b'"event_type":  "TRANSACTION.SUCCESS"')
    assert tampered != body
    assert refused_status(headers, tampered) == 401


def test_a_notification_signed_with_another_key_is_401(wechat_platform):
    paid(wechat_platform)
    headers, body = wechat_platform.transaction_notification("SH20261201000001", key=new_key())
    assert refused_status(headers, body) == 401


def test_a_notification_with_an_unknown_serial_is_401(wechat_platform):
    paid(wechat_platform)
    headers, body = wechat_platform.transaction_notification(
        "SH20261201000001", serial="PUB_KEY_ID_0114000000000000000000000000009999")
    assert refused_status(headers, body) == 401


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_notification_outside_the_time_window_is_401(wechat_platform, offset):
    paid(wechat_platform)
    headers, body = wechat_platform.transaction_notification(
        "SH20261201000001", timestamp=int(time.time()) + offset)
    assert refused_status(headers, body) == 401


@pytest.mark.parametrize("header", ["Wechatpay-Signature", "Wechatpay-Serial",
                                    "Wechatpay-Timestamp", "Wechatpay-Nonce"])
def test_a_notification_missing_a_signature_header_is_401(wechat_platform, header):
    paid(wechat_platform)
    headers, body = wechat_platform.transaction_notification("SH20261201000001")
    del headers[header]
    assert refused_status(headers, body) == 401


def test_the_signature_probe_of_the_platform_is_401(wechat_platform):
    paid(wechat_platform)
    headers, body = wechat_platform.transaction_notification("SH20261201000001")
    headers["Wechatpay-Signature"] = "WECHATPAY/SIGNTEST/" + headers["Wechatpay-Signature"][19:]
    assert refused_status(headers, body) == 401


@pytest.mark.parametrize("field,value", [("mchid", "1900000999"), ("appid", "wx0000000000000000")])
def test_a_payment_for_another_merchant_is_refused(wechat_platform, field, value):
    paid(wechat_platform)
    headers, body = wechat_platform.transaction_notification("SH20261201000001",
                                                             override={field: value})
    assert refused_status(headers, body) == 400


def test_a_refund_for_another_merchant_is_refused(wechat_platform):
    paid(wechat_platform)
    wechat.refund(refund_order())
    wechat_platform.settle_refund("RF1")
    headers, body = wechat_platform.refund_notification("RF1", override={"mchid": "1900000999"})
    assert refused_status(headers, body) == 400


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"id": "E1"}',
                                  b'{"id": "E1", "event_type": "TRANSACTION.SUCCESS",'
                                  b' "resource": "x"}'])
def test_a_malformed_body_correctly_signed_is_400(wechat_platform, body):
    headers = wechat_platform.signed_headers(body)
    assert refused_status(headers, body) == 400


def test_a_resource_that_does_not_decrypt_is_400(wechat_platform):
    paid(wechat_platform)
    headers, body = wechat_platform.transaction_notification(
        "SH20261201000001", apiv3_key="0" * 32)
    assert refused_status(headers, body) == 400


def test_an_event_we_do_not_know_is_400(wechat_platform):
    headers, body = wechat_platform.notification("PROFITSHARING.SUCCESS", {"mchid": "1"})
    assert refused_status(headers, body) == 400


def test_the_platform_is_answered_204_or_fail_with_a_reason():
    ok = wechat.acknowledge()
    assert ok.status_code == 204 and ok.content == b""
    no = wechat.refuse(NotificationRefused("签名不对", status=401))
    assert no.status_code == 401
    assert json.loads(no.content) == {"code": "FAIL", "message": "签名不对"}


# --- configuration ---

def test_a_configured_merchant_has_no_problems_and_nothing_is_called(wechat_platform):
    assert wechat.problems() == [] and wechat.configured()
    assert wechat_platform.received == []


def test_no_settings_is_one_problem(settings):
    for name in ("WECHATPAY_MCHID", "WECHATPAY_APPID", "WECHATPAY_APIV3_KEY",
                 "WECHATPAY_PRIVATE_KEY", "WECHATPAY_CERT_SERIAL",
                 "WECHATPAY_PLATFORM_PUBLIC_KEY", "WECHATPAY_PLATFORM_KEY_ID"):
        setattr(settings, name, "")
    problems = wechat.problems()
    assert len(problems) == 1 and "not configured" in problems[0]
    assert not wechat.configured()


def test_some_settings_missing_are_named(wechat_platform, settings):
    settings.WECHATPAY_CERT_SERIAL = ""
    settings.WECHATPAY_PLATFORM_KEY_ID = ""
    (problem,) = wechat.problems()
    assert "WECHATPAY_CERT_SERIAL" in problem and "WECHATPAY_PLATFORM_KEY_ID" in problem


def test_unreadable_and_wrong_key_files_are_problems(wechat_platform, settings, tmp_path):
    settings.WECHATPAY_PRIVATE_KEY = str(tmp_path / "missing.pem")
    ec_key = tmp_path / "ec.pem"
    ec_key.write_bytes(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    settings.WECHATPAY_PLATFORM_PUBLIC_KEY = str(ec_key)
    problems = wechat.problems()
    assert len(problems) == 2
    assert "WECHATPAY_PRIVATE_KEY" in problems[0] and "cannot read" in problems[0]
    assert "WECHATPAY_PLATFORM_PUBLIC_KEY" in problems[1] and "not an RSA" in problems[1]


def test_a_file_that_is_not_pem_is_a_problem(wechat_platform, settings, tmp_path):
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nbm9wZQ==\n-----END PRIVATE KEY-----\n")
    settings.WECHATPAY_PRIVATE_KEY = str(garbage)
    (problem,) = wechat.problems()
    assert "WECHATPAY_PRIVATE_KEY" in problem


def test_the_public_key_given_as_private_key_is_a_problem(wechat_platform, settings):
    settings.WECHATPAY_PRIVATE_KEY = str(wechat_platform.platform_key_path)
    (problem,) = wechat.problems()
    assert "WECHATPAY_PRIVATE_KEY" in problem


@pytest.mark.parametrize("key", ["0" * 31, "0" * 33, "密" * 11])
def test_an_apiv3_key_not_32_bytes_is_a_problem(wechat_platform, settings, key):
    settings.WECHATPAY_APIV3_KEY = key
    (problem,) = wechat.problems()
    assert "WECHATPAY_APIV3_KEY" in problem and "32" in problem


def test_a_plain_http_api_base_is_a_problem_unless_loopback(wechat_platform, settings):
    settings.WECHATPAY_API_BASE = "http://api.mch.weixin.qq.com"
    (problem,) = wechat.problems()
    assert "WECHATPAY_API_BASE" in problem


def test_a_rotated_platform_key_file_is_read_again(wechat_platform):
    paid(wechat_platform)
    wechat.query("SH20261201000001")
    rotated = new_key()
    wechat_platform.platform_key = rotated
    wechat_platform.answer_signer = (rotated, wechat_platform.key_id)
    wechat_platform.platform_key_path.write_bytes(public_pem(rotated) + b"\n")
    assert wechat.query("SH20261201000001").status == "succeeded"



# --- platform certificates (merchants from before the public key) ---

@pytest.fixture
def certificate_merchant(wechat_platform, settings):
    """A merchant that knows the platform by its certificate only."""
    path, serial = wechat_platform.certificate()
    settings.WECHATPAY_PLATFORM_PUBLIC_KEY = ""
    settings.WECHATPAY_PLATFORM_KEY_ID = ""
    settings.WECHATPAY_PLATFORM_CERTIFICATES = [str(path)]
    wechat_platform.use_certificate(serial)
    return serial


def test_a_merchant_with_certificates_only_is_configured_and_believes_the_answers(
        wechat_platform, certificate_merchant):
    assert wechat.problems() == []
    paid(wechat_platform)
    assert wechat.query("SH20261201000001").status == "succeeded"
    sent = wechat_platform.requests_to("/v3/pay/transactions/out-trade-no")[0]
    assert sent.headers["wechatpay-serial"] == certificate_merchant


def test_with_certificates_only_an_answer_signed_by_the_public_key_is_not_believed(
        wechat_platform, certificate_merchant):
    paid(wechat_platform)
    wechat_platform.answer_signer = (wechat_platform.platform_key, wechat_platform.key_id)
    with pytest.raises(ProviderUnavailable):
        wechat.query("SH20261201000001")


def test_while_migrating_either_the_certificate_or_the_public_key_may_sign(
        wechat_platform, settings):
    path, serial = wechat_platform.certificate()
    settings.WECHATPAY_PLATFORM_CERTIFICATES = [str(path)]
    paid(wechat_platform)

    by_key = wechat_platform.transaction_notification("SH20261201000001")
    # a serial may come in lower case or with a leading zero
    by_certificate = wechat_platform.transaction_notification(
        "SH20261201000001", key=certificate_key(), serial="0" + serial.lower())
    for headers, body in (by_key, by_certificate):
        assert wechat.parse_notification(webhook_request(headers, body)).trade.status == \
            "succeeded"
    # the certificate's key does not pass for the public key, nor the reverse
    headers, body = wechat_platform.transaction_notification(
        "SH20261201000001", key=certificate_key(), serial=wechat_platform.key_id)
    assert refused_status(headers, body) == 401
    headers, body = wechat_platform.transaction_notification("SH20261201000001", serial=serial)
    assert refused_status(headers, body) == 401


def test_an_expired_platform_certificate_is_not_believed(wechat_platform, settings):
    path, serial = wechat_platform.certificate(valid_from=timedelta(days=-400))
    settings.WECHATPAY_PLATFORM_CERTIFICATES = [str(path)]
    paid(wechat_platform)

    headers, body = wechat_platform.transaction_notification(
        "SH20261201000001", key=certificate_key(), serial=serial)
    assert refused_status(headers, body) == 401


def test_a_certificate_setting_that_is_not_a_certificate_is_a_problem(wechat_platform, settings):
    settings.WECHATPAY_PLATFORM_CERTIFICATES = [str(wechat_platform.platform_key_path)]
    (problem,) = wechat.problems()
    assert "WECHATPAY_PLATFORM_CERTIFICATES" in problem and "not a certificate" in problem


def test_a_public_key_without_its_id_is_half_configured(wechat_platform, settings):
    path, _ = wechat_platform.certificate()
    settings.WECHATPAY_PLATFORM_CERTIFICATES = [str(path)]
    settings.WECHATPAY_PLATFORM_KEY_ID = ""
    (problem,) = wechat.problems()
    assert "WECHATPAY_PLATFORM_KEY_ID" in problem


@pytest.mark.parametrize("override", [{"attach": "a\x00b"},
                                      {"amount": {"total": 10**30, "currency": "CNY"}},
                                      {"amount": {"total": "1234", "currency": "CNY"}},
                                      {"out_trade_no": 42}])
def test_a_signed_notification_we_cannot_keep_or_read_is_400(wechat_platform, override):
    paid(wechat_platform)
    headers, body = wechat_platform.transaction_notification("SH20261201000001",
                                                             override=override)
    assert refused_status(headers, body) == 400


# --- manage.py check --deploy ---

def _wechat_errors() -> list[str]:
    from payments.checks import payment_providers_ready

    return [e.msg for e in payment_providers_ready() if "provider wechat" in e.msg]


def test_check_deploy_is_quiet_about_a_configured_merchant(wechat_platform):
    assert _wechat_errors() == []


def test_check_deploy_reports_a_merchant_begun_with_certificates_only(settings, tmp_path):
    settings.WECHATPAY_PLATFORM_CERTIFICATES = [str(tmp_path / "wechatpay_missing.pem")]
    errors = _wechat_errors()
    assert errors and any("half configured" in e for e in errors)
    assert any("cannot read" in e for e in errors)

"""Fake SMS gateways, one of each kind, that check OUR signatures the way the platforms do (each
written here from the platforms' documentation, not with our signer) and keep what they sent.

- `FakeAliyunSms`: dysmsapi `SendSms`, RPC style, HMAC-SHA1 over `POST&%2F&<encoded sorted
  parameters>` with the secret plus `&`; a nonce used twice or a time more than 15 minutes off is
  refused.
- `FakeTencentSms`: Tencent Cloud API 3.0 `SendSms`, TC3-HMAC-SHA256 over the canonical request
  (content-type and host signed); a time more than 5 minutes off is refused.

`refuse(phone)`: the gateway refuses that number for good. `code = "..."`: every send answers
with that error code (a rate limit, a system error). Faults of FakePlatform: "500", "hang",
"slow".
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

import pytest

from tests.notify.fake_platform import FakePlatform


class FakeSmsGateway(FakePlatform):
    key_id = "LTAI5tRfA8sQw3bN7cXzY1pD"
    key_secret = "q7Zk2mV9xT4nB1wE6rY3uI8oP0aSdFgH"
    sign_name = "山货"

    def __init__(self):
        super().__init__()
        self.sent: list[dict] = []  # {"phone", "template", "params"}
        self.refused: set[str] = set()
        self.code: str | None = None

    def refuse(self, phone: str) -> None:
        self.refused.add(phone)


class FakeAliyunSms(FakeSmsGateway):
    provider = "aliyun"

    def __init__(self):
        super().__init__()
        self.nonces: set[str] = set()

    def settings(self) -> dict:
        return {"SMS_PROVIDER": "aliyun", "SMS_API_BASE": self.url, "SMS_KEY_ID": self.key_id,
                "SMS_KEY_SECRET": self.key_secret, "SMS_SIGN_NAME": self.sign_name}

    @staticmethod
    def _encode(text: str) -> str:
        return quote(text, safe="~", encoding="utf-8").replace("%7E", "~")

    def expected_signature(self, params: dict[str, str]) -> str:
        pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
        canonical = "&".join(f"{self._encode(k)}={self._encode(v)}" for k, v in pairs)
        string_to_sign = "POST&%2F&" + self._encode(canonical)
        mac = hmac.new((self.key_secret + "&").encode(), string_to_sign.encode(), hashlib.sha1)
        return base64.b64encode(mac.digest()).decode()

    def handle(self, method, target, headers, body):
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        if params.get("Signature") != self.expected_signature(params):
            return 400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is "
                                                                     "not matched"}
        if params.get("AccessKeyId") != self.key_id:
            return 404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "not found"}
        if (params.get("SignatureMethod"), params.get("SignatureVersion"),
                params.get("Version"), params.get("Action")) != (
                "HMAC-SHA1", "1.0", "2017-05-25", "SendSms"):
            return 400, {"Code": "InvalidParameter", "Message": "bad common parameters"}
        nonce = params.get("SignatureNonce", "")
        if not nonce or nonce in self.nonces:
            return 400, {"Code": "SignatureNonceUsed", "Message": "nonce used"}
        self.nonces.add(nonce)
        stamp = datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ")
        if abs(stamp.replace(tzinfo=UTC).timestamp() - time.time()) > 900:
            return 400, {"Code": "InvalidTimeStamp.Expired", "Message": "expired"}
        if self.code:
            return 200, {"Code": self.code, "Message": "触发限流", "RequestId": "r"}
        if params.get("SignName") != self.sign_name:
            return 200, {"Code": "isv.SMS_SIGNATURE_ILLEGAL", "Message": "签名不合法"}
        phone = params.get("PhoneNumbers", "")
        if phone in self.refused:
            return 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}
        self.sent.append({"phone": phone, "template": params.get("TemplateCode"),
                          "params": json.loads(params.get("TemplateParam") or "{}")})
        return 200, {"Code": "OK", "Message": "OK", "BizId": secrets.token_hex(8),
                     "RequestId": secrets.token_hex(8)}


class FakeTencentSms(FakeSmsGateway):
    provider = "tencent"
    app_id = "1400787878"

    def settings(self) -> dict:
        return {"SMS_PROVIDER": "tencent", "SMS_API_BASE": self.url, "SMS_KEY_ID": self.key_id,
                "SMS_KEY_SECRET": self.key_secret, "SMS_SIGN_NAME": self.sign_name,
                "SMS_SDK_APP_ID": self.app_id, "SMS_REGION": "ap-guangzhou"}

    def _error(self, code: str, message: str) -> dict:
        return {"Response": {"Error": {"Code": code, "Message": message},
                             "RequestId": secrets.token_hex(8)}}

    def expected_authorization(self, headers: dict, body: bytes) -> str | None:
        timestamp = int(headers.get("x-tc-timestamp", "0"))
        date = datetime.fromtimestamp(timestamp, UTC).date().isoformat()
        canonical = "\n".join([
            "POST", "/", "",
            f"content-type:{headers.get('content-type', '')}\nhost:{headers.get('host', '')}\n",
            "content-type;host", hashlib.sha256(body).hexdigest()])
        scope = f"{date}/sms/tc3_request"
        to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])

        def sign(key: bytes, text: str) -> bytes:
            return hmac.new(key, text.encode(), hashlib.sha256).digest()

        key = sign(sign(sign(("TC3" + self.key_secret).encode(), date), "sms"), "tc3_request")
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return (f"TC3-HMAC-SHA256 Credential={self.key_id}/{scope}, "
                f"SignedHeaders=content-type;host, Signature={signature}")

    def handle(self, method, target, headers, body):
        if headers.get("authorization") != self.expected_authorization(headers, body):
            return 200, self._error("AuthFailure.SignatureFailure", "签名错误")
        if abs(int(headers.get("x-tc-timestamp", "0")) - time.time()) > 300:
            return 200, self._error("AuthFailure.SignatureExpire", "签名过期")
        if (headers.get("x-tc-action"), headers.get("x-tc-version")) != ("SendSms",
                                                                         "2021-01-11"):
            return 200, self._error("InvalidAction", "bad action")
        if self.code:
            return 200, self._error(self.code, "error")
        data = json.loads(body)
        if data.get("SmsSdkAppId") != self.app_id or data.get("SignName") != self.sign_name:
            return 200, self._error("FailedOperation.SignatureIncorrectOrUnapproved", "签名")
        phone = data["PhoneNumberSet"][0]
        if phone.removeprefix("+86") in self.refused:
            status = {"Code": "InvalidParameterValue.IncorrectPhoneNumber", "PhoneNumber": phone,
                      "Message": "手机号格式错误", "SerialNo": ""}
        else:
            self.sent.append({"phone": phone.removeprefix("+86"), "template": data["TemplateId"],
                              "params": data["TemplateParamSet"]})
            status = {"Code": "Ok", "PhoneNumber": phone, "Message": "send success",
                      "SerialNo": secrets.token_hex(8), "Fee": 1}
        return 200, {"Response": {"SendStatusSet": [status], "RequestId": secrets.token_hex(8)}}


def _gateway(kind, settings):
    gateway = kind().start()
    for name, value in gateway.settings().items():
        setattr(settings, name, value)
    settings.NOTIFY_HTTP_TIMEOUT = 1.0
    settings.SMS_TEMPLATES = {"sign_in_code": "SMS_100001", "order_paid": "SMS_100002",
                              "order_shipped": "SMS_100003", "payout_paid": "SMS_100004",
                              "statement_ready": "SMS_100005"}
    return gateway


@pytest.fixture
def aliyun_sms(settings):
    gateway = _gateway(FakeAliyunSms, settings)
    yield gateway
    gateway.stop()


@pytest.fixture
def tencent_sms(settings):
    gateway = _gateway(FakeTencentSms, settings)
    yield gateway
    gateway.stop()


@pytest.fixture(params=["aliyun", "tencent"])
def sms_gateway(request, settings):
    """Each kind of gateway in turn."""
    gateway = _gateway({"aliyun": FakeAliyunSms, "tencent": FakeTencentSms}[request.param],
                       settings)
    yield gateway
    gateway.stop()

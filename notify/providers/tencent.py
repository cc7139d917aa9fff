"""Tencent Cloud SMS (version 2021-01-11): `SendSms` through the API 3.0, signed TC3-HMAC-SHA256.

Signature (cloud.tencent.com, "签名方法 v3"): the canonical request is
`POST\\n/\\n\\ncontent-type:application/json; charset=utf-8\\nhost:<host>\\n\\ncontent-type;host\\n`
+ hex SHA-256 of the body; the string to sign `TC3-HMAC-SHA256\\n<timestamp>\\n<date>/sms/
tc3_request\\n` + hex SHA-256 of the canonical request (the date in UTC, from the timestamp); the
key HMAC-SHA256 chained over `"TC3" + SecretKey`, the date, `sms`, `tc3_request`; the signature
the hex HMAC-SHA256 of the string to sign under that key. Headers `Authorization:
TC3-HMAC-SHA256 Credential=<SecretId>/<date>/sms/tc3_request, SignedHeaders=content-type;host,
Signature=<hex>`, `X-TC-Action: SendSms`, `X-TC-Version`, `X-TC-Timestamp`, `X-TC-Region`.

Answers: `{"Response": {"SendStatusSet": [{"Code": "Ok", "SerialNo", ...}], "RequestId"}}`, or
`{"Response": {"Error": {"Code", "Message"}}}` for the whole call. A number or template the
gateway will not take is refused for good; limits, internal errors and authentication failures
(our configuration) are tried again later.
"""

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings

from notify import http
from notify.providers.base import Message, Provider, ProviderUnavailable, Refused

VERSION = "2021-01-11"
SERVICE = "sms"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
REFUSED_PREFIXES = (
    "InvalidParameterValue.IncorrectPhoneNumber",
    "FailedOperation.PhoneNumberInBlacklist",
    "FailedOperation.PhoneNumberParseFail",
    "FailedOperation.TemplateIncorrectOrUnapproved",
    "FailedOperation.SignatureIncorrectOrUnapproved",
    "FailedOperation.ContainSensitiveWord",
    "InvalidParameterValue.TemplateParameterFormatError",
    "InvalidParameterValue.TemplateParameterLengthLimit",
    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
    "LimitExceeded.PhoneNumberDailyLimit",
    "UnsupportedOperation.",
)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def canonical_request(host: str, body: bytes) -> str:
    return (f"POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{host}\n\ncontent-type;host\n"
            + hashlib.sha256(body).hexdigest())


def signature(secret_key: str, host: str, body: bytes, timestamp: int) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{SERVICE}/tc3_request"
    to_sign = (f"{ALGORITHM}\n{timestamp}\n{scope}\n"
               + hashlib.sha256(canonical_request(host, body).encode()).hexdigest())
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), SERVICE), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(secret_id: str, secret_key: str, host: str, body: bytes,
                  timestamp: int) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    return (f"{ALGORITHM} Credential={secret_id}/{date}/{SERVICE}/tc3_request, "
            f"SignedHeaders=content-type;host, "
            f"Signature={signature(secret_key, host, body, timestamp)}")


class TencentSms(Provider):
    name = "tencent"

    def problems(self) -> list[str]:
        missing = [name for name in ("SMS_KEY_ID", "SMS_KEY_SECRET", "SMS_SIGN_NAME",
                                     "SMS_SDK_APP_ID") if not getattr(settings, name)]
        return [f"{', '.join(missing)} not set"] if missing else []

    def send(self, message: Message) -> str:
        body = json.dumps({
            "PhoneNumberSet": [f"+86{message.to}"],
            "SmsSdkAppId": settings.SMS_SDK_APP_ID,
            "SignName": settings.SMS_SIGN_NAME,
            "TemplateId": message.template_id,
            "TemplateParamSet": [value for _, value in message.params],
        }, ensure_ascii=False).encode()
        host = urlsplit(settings.SMS_API_BASE).netloc
        timestamp = int(time.time())
        answer = http.call("POST", f"{settings.SMS_API_BASE}/", content=body, headers={
            "Authorization": authorization(settings.SMS_KEY_ID, settings.SMS_KEY_SECRET, host,
                                           body, timestamp),
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Version": VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": settings.SMS_REGION,
        })
        response = http.json_of(answer, "Tencent Cloud SendSms").get("Response")
        if not isinstance(response, dict):
            raise ProviderUnavailable("Tencent Cloud SendSms: no Response")
        error = response.get("Error")
        if isinstance(error, dict):
            self._raise(str(error.get("Code", "")), str(error.get("Message", "")))
        statuses = response.get("SendStatusSet") or []
        if not statuses or not isinstance(statuses[0], dict):
            raise ProviderUnavailable("Tencent Cloud SendSms: no SendStatusSet")
        status = statuses[0]
        if status.get("Code") == "Ok":
            return str(status.get("SerialNo", ""))
        self._raise(str(status.get("Code", "")), str(status.get("Message", "")))
        return ""

    @staticmethod
    def _raise(code: str, text: str) -> None:
        if code.startswith(REFUSED_PREFIXES):
            raise Refused(f"the gateway refused: {code}", code=code)
        raise ProviderUnavailable(f"Tencent Cloud SendSms {code}: {text}"[:300])

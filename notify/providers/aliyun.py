"""Aliyun SMS (dysmsapi, version 2017-05-25): `SendSms` through the RPC API.

Signature (help.aliyun.com, "RPC 签名机制", SignatureVersion 1.0): every parameter but
`Signature`, sorted by name; names and values percent-encoded as RFC 3986 (UTF-8; only
`A-Z a-z 0-9 - _ . ~` left as they are, a space `%20`); joined `k=v` with `&`. The string to sign
is `METHOD&%2F&` + the percent-encoding of that joined string; the signature is base64
HMAC-SHA1 of it under the AccessKey secret plus `&`. We POST the parameters as a form.

Answers: `{"Code": "OK", "BizId", "RequestId"}`; else `Code` says why. A number or template
the gateway will not take is refused for good; its rate limits, a busy system, an empty account
or a signature it does not accept (our configuration) are tried again later.
"""

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

from django.conf import settings

from notify import http
from notify.providers.base import Message, Provider, ProviderUnavailable, Refused

VERSION = "2017-05-25"
REFUSED = {
    "isv.MOBILE_NUMBER_ILLEGAL": "the gateway refuses the number",
    "isv.MOBILE_COUNT_OVER_LIMIT": "too many numbers",
    "isv.BLACK_KEY_CONTROL_LIMIT": "the gateway refuses the words",
    "isv.TEMPLATE_MISSING_PARAMETERS": "the template's variables are missing",
    "isv.INVALID_PARAMETERS": "the gateway refuses the parameters",
    "isv.SMS_TEMPLATE_ILLEGAL": "the gateway does not know the template",
    "isv.SMS_SIGNATURE_ILLEGAL": "the gateway does not know the signature",
    "isv.PARAM_LENGTH_LIMIT": "a variable is too long for the gateway",
    "isv.DAY_LIMIT_CONTROL": "the number reached the gateway's daily limit",
    "isv.INVALID_JSON_PARAM": "the gateway refuses the variables",
}


def percent(value: str) -> str:
    return quote(str(value), safe="-_.~")


def string_to_sign(method: str, params: dict[str, str]) -> str:
    joined = "&".join(f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()))
    return f"{method}&{percent('/')}&{percent(joined)}"


def signature(secret: str, method: str, params: dict[str, str]) -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(),
                      hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms(Provider):
    name = "aliyun"

    def problems(self) -> list[str]:
        missing = [name for name in ("SMS_KEY_ID", "SMS_KEY_SECRET", "SMS_SIGN_NAME")
                   if not getattr(settings, name)]
        return [f"{', '.join(missing)} not set"] if missing else []

    def send(self, message: Message) -> str:
        params = {
            "AccessKeyId": settings.SMS_KEY_ID,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": settings.SMS_REGION,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": VERSION,
            "PhoneNumbers": message.to,
            "SignName": settings.SMS_SIGN_NAME,
            "TemplateCode": message.template_id,
            "TemplateParam": json.dumps(dict(message.params), ensure_ascii=False),
        }
        params["Signature"] = signature(settings.SMS_KEY_SECRET, "POST", params)
        body = "&".join(f"{percent(k)}={percent(v)}" for k, v in params.items()).encode()
        answer = http.call("POST", f"{settings.SMS_API_BASE}/", content=body, headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        data = http.json_of(answer, "Aliyun SendSms")
        code = data.get("Code")
        if code == "OK":
            return str(data.get("BizId", ""))
        if code in REFUSED:
            raise Refused(f"{REFUSED[code]} ({code})", code=str(code))
        raise ProviderUnavailable(f"Aliyun SendSms {code}: {data.get('Message', '')}"[:300])

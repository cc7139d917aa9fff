"""Alipay open platform (开放平台), RSA2: mobile-web pay, app pay, query, close, refunds and the
async notify.

The protocol, as we speak it:

- Every request carries the common parameters (`app_id`, `method`, `format=JSON`,
  `charset=utf-8`, `sign_type=RSA2`, `timestamp` in Beijing time, `version=1.0`, `notify_url`)
  and `biz_content`, one compact JSON object. `sign` is the base64 RSA-SHA256 (PKCS#1 v1.5)
  signature, with the app's private key, of the parameters sorted by name and joined as `k=v`
  with `&`: `sign` itself and empty values left out, values as they are (not URL-encoded).
- `alipay.trade.wap.pay` and `alipay.trade.app.pay` make no call from here: the buyer's browser
  is sent to the gateway with the signed parameters (`redirect`), or the app hands the signed,
  URL-encoded parameters to the Alipay SDK (`sdk`). Alipay creates the trade when the buyer
  opens its cashier, so until then `query` and `close` find no trade; `time_expire` in the signed
  parameters makes the link useless once the order's payment window has closed.
- Query, close, refund and refund query are POSTed to `ALIPAY_GATEWAY` through
  `payments.http.call` (its timeouts). The answer is `{"<method, dots as underscores>_response":
  {...}, "sign": "..."}`; `sign` is Alipay's signature of the response object's text exactly as
  it stands in the body, so that text is cut out of the body, never re-serialised, and verified
  with Alipay's public key before any of it is read. An answer without a valid signature is not
  believed (`ProviderUnavailable`). `code` 10000 is success, 40004 a business refusal
  (`sub_code` says which), anything else (20000 service unavailable, 4000x our keys, parameters
  or permissions) means nothing happened: `ProviderUnavailable`, to be retried.
- The async notify is a form POST signed the same way with Alipay's key over every parameter
  but `sign` and `sign_type`; it is answered with the text `success` or Alipay tries again (8
  times over about 25 hours).

We sign ourselves rather than depend on `python-alipay-sdk` (fzlee/alipay): that package pulls in
pycryptodomex and pyOpenSSL next to `cryptography`, sends its calls with `urllib` (as a GET with
every parameter in the URL, outside our `payments.http` timeouts and proxy rules, a 5xx as an
exception of its own), finds the signed part of an answer by counting braces (a `}` inside a
string value, e.g. in `sub_msg`, cuts it short), loads keys once at construction (settings could
not change in tests) and knows neither `time_expire` nor our error vocabulary. The protocol is a
page of code; the keys and the HTTP stay ours.
"""

import base64
import binascii
import functools
import json
import os
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from marketplace.money import money
from orders.models import MAX_AMOUNT
from payments import http
from payments.providers.base import (
    Charge,
    Notice,
    NotificationRefused,
    Provider,
    ProviderRefused,
    ProviderUnavailable,
    RefundOrder,
    RefundResult,
    Trade,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SETTINGS = ("ALIPAY_APP_ID", "ALIPAY_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY")
MIN_KEY_BITS = 2048  # RSA2 keys are 2048 bits
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

# our method -> (Alipay API, product code signed with the merchant)
PAY_METHODS = {
    "alipay_wap": ("alipay.trade.wap.pay", "QUICK_WAP_WAY"),
    "alipay_app": ("alipay.trade.app.pay", "QUICK_MSECURITY_PAY"),
}
TRADE_STATUS = {
    "WAIT_BUYER_PAY": "pending",
    "TRADE_SUCCESS": "succeeded",
    # the refund period is over; a payment still (a second notification may say so)
    "TRADE_FINISHED": "succeeded",
    # unpaid and closed (timed out or by us), or wholly refunded
    "TRADE_CLOSED": "closed",
}
SUCCESS = "10000"
BUSINESS_FAILED = "40004"
# Alipay's own "try again with the same parameters"
RETRYABLE_SUB_CODES = {"ACQ.SYSTEM_ERROR", "aop.ACQ.SYSTEM_ERROR"}
AMOUNT = re.compile(r"[0-9]{1,11}(\.[0-9]{1,2})?")
# Alipay refuses these in `subject`
SUBJECT_FORBIDDEN = re.compile(r"[/=&\x00-\x1f]")


# --- signatures -------------------------------------------------------------------------------

def sign_content(params: dict[str, str], *, without: tuple[str, ...] = ("sign",)) -> str:
    """The text that is signed: sorted `k=v` joined by `&`, `without` and empty values left out,
    nothing URL-encoded."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items())
                    if k not in without and v is not None and v != "")


def rsa2_sign(private_key: rsa.RSAPrivateKey, content: str) -> str:
    signature = private_key.sign(content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa2_verify(public_key: rsa.RSAPublicKey, content: str | bytes, sign: str) -> bool:
    if not isinstance(sign, str) or not sign:
        return False
    try:
        signature = base64.b64decode(sign, validate=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def _read_key_text(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _der(text: bytes) -> bytes:
    """Alipay's console shows keys as bare base64 (no PEM lines); accept that too."""
    return base64.b64decode(b"".join(text.split()), validate=True)


@functools.lru_cache(maxsize=16)
def _private_key_at(path: str, _version: tuple[int, int]) -> rsa.RSAPrivateKey:
    text = _read_key_text(path)
    if b"-----BEGIN" in text:
        key = serialization.load_pem_private_key(text, password=None)
    else:
        key = serialization.load_der_private_key(_der(text), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


@functools.lru_cache(maxsize=16)
def _public_key_at(path: str, _version: tuple[int, int]) -> rsa.RSAPublicKey:
    text = _read_key_text(path)
    if b"-----BEGIN" in text:
        key = serialization.load_pem_public_key(text)
    else:
        key = serialization.load_der_public_key(_der(text))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def _version(path: str) -> tuple[int, int]:
    """Cache keys by path, and by the file's modification time and size: a key replaced on disk
    (rotation) is read again without a restart."""
    stat = os.stat(path)
    return stat.st_mtime_ns, stat.st_size


KEY_ERRORS = (OSError, ValueError, TypeError, UnsupportedAlgorithm, binascii.Error)


def app_private_key() -> rsa.RSAPrivateKey:
    path = settings.ALIPAY_PRIVATE_KEY
    return _private_key_at(path, _version(path))


def alipay_public_key() -> rsa.RSAPublicKey:
    path = settings.ALIPAY_PUBLIC_KEY
    return _public_key_at(path, _version(path))


# --- reading what Alipay says -----------------------------------------------------------------

def _shanghai(moment: datetime) -> str:
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment.astimezone(SHANGHAI).strftime(TIME_FORMAT)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=SHANGHAI)
    except ValueError:
        return None


def _amount(value: Any) -> Decimal | None:
    """A yuan amount as Alipay writes it ("12.50"); None when it is not one."""
    if not isinstance(value, str) or not AMOUNT.fullmatch(value):
        return None
    try:
        amount = money(value)
    except InvalidOperation:
        return None
    return amount if amount < MAX_AMOUNT else None


def _yuan(amount: Decimal) -> str:
    return str(money(amount))


def top_level_values(text: str) -> dict[str, list[tuple[int, int]]]:
    """Where each top-level value of the JSON object `text` stands: key -> [(start, end)].
    Read with the JSON scanner itself, so braces or quotes inside strings cannot mislead it.
    Raises ValueError when `text` is not one JSON object."""
    decoder = json.JSONDecoder()
    spans: dict[str, list[tuple[int, int]]] = {}
    ws = re.compile(r"[ \t\n\r]*")

    def skip(i: int) -> int:
        return ws.match(text, i).end()

    i = skip(0)
    if text[i:i + 1] != "{":
        raise ValueError("not a JSON object")
    i = skip(i + 1)
    if text[i:i + 1] == "}":
        return spans
    while True:
        if text[i:i + 1] != '"':
            raise ValueError("expected a key")
        key, i = decoder.raw_decode(text, i)
        i = skip(i)
        if text[i:i + 1] != ":":
            raise ValueError("expected ':'")
        i = skip(i + 1)
        _value, end = decoder.raw_decode(text, i)
        spans.setdefault(key, []).append((i, end))
        i = skip(end)
        if text[i:i + 1] == ",":
            i = skip(i + 1)
            continue
        if text[i:i + 1] == "}" and not text[i + 1:].strip(" \t\n\r"):
            return spans
        raise ValueError("expected ',' or '}'")


def verified_answer(body: bytes, api: str) -> dict:
    """The response object of `api` in `body`, once Alipay's signature over its exact text
    verifies. Raises ProviderUnavailable otherwise."""
    response_key = api.replace(".", "_") + "_response"
    try:
        text = body.decode("utf-8")
        spans = top_level_values(text)
        document = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProviderUnavailable(f"Alipay {api}: the answer is not JSON.") from exc
    places = spans.get(response_key, [])
    if len(places) != 1 or len(spans.get("sign", [])) != 1:
        code = ""
        inner = document.get(response_key) or document.get("error_response")
        if isinstance(inner, dict):
            code = f" (code {inner.get('code')}, {inner.get('sub_code') or inner.get('msg')})"
        raise ProviderUnavailable(f"Alipay {api}: an unsigned or unexpected answer{code}.")
    start, end = places[0]
    raw = text[start:end]
    if not rsa2_verify(alipay_public_key(), raw, document.get("sign")):
        raise ProviderUnavailable(f"Alipay {api}: the answer's signature does not verify.")
    answer = json.loads(raw)
    if not isinstance(answer, dict):
        raise ProviderUnavailable(f"Alipay {api}: the answer is not an object.")
    return answer


# --- the provider -----------------------------------------------------------------------------

class AlipayProvider(Provider):
    name = "alipay"
    methods = tuple(PAY_METHODS)

    # configuration

    def problems(self) -> list[str]:
        values = {name: getattr(settings, name, "") or "" for name in SETTINGS}
        if not any(values.values()):
            return ["Alipay is not configured: set ALIPAY_APP_ID, ALIPAY_PRIVATE_KEY (the app's "
                    "private key, a PEM file) and ALIPAY_PUBLIC_KEY (Alipay's public key, a PEM "
                    "file)."]
        problems = [f"Alipay is half configured: {name} is not set."
                    for name, value in values.items() if not value]
        gateway = urlsplit(settings.ALIPAY_GATEWAY or "")
        if not gateway.hostname or gateway.scheme != "https" and not (
            gateway.scheme == "http" and gateway.hostname in LOOPBACK
        ):
            problems.append(f"ALIPAY_GATEWAY {settings.ALIPAY_GATEWAY!r} is not an https URL "
                            "(plain http only to this machine, for a test gateway).")
        private = public = None
        if values["ALIPAY_PRIVATE_KEY"]:
            try:
                private = app_private_key()
            except KEY_ERRORS as exc:
                problems.append(f"ALIPAY_PRIVATE_KEY {values['ALIPAY_PRIVATE_KEY']!r} is not a "
                                f"readable RSA private key: {_why(exc)}")
        if values["ALIPAY_PUBLIC_KEY"]:
            try:
                public = alipay_public_key()
            except KEY_ERRORS as exc:
                problems.append(f"ALIPAY_PUBLIC_KEY {values['ALIPAY_PUBLIC_KEY']!r} is not a "
                                f"readable RSA public key: {_why(exc)}")
        for name, key in (("ALIPAY_PRIVATE_KEY", private), ("ALIPAY_PUBLIC_KEY", public)):
            if key is not None and key.key_size < MIN_KEY_BITS:
                problems.append(f"{name} is a {key.key_size}-bit key: RSA2 needs "
                                f"{MIN_KEY_BITS} bits.")
        if private is not None and public is not None and (
            private.public_key().public_numbers() == public.public_numbers()
        ):
            problems.append("ALIPAY_PUBLIC_KEY is the public half of ALIPAY_PRIVATE_KEY: it must "
                            "be Alipay's public key (支付宝公钥), not the app's own.")
        return problems

    # outgoing

    def _common(self, api: str, biz: dict, *, notify_url: str = "") -> dict[str, str]:
        return {
            "app_id": settings.ALIPAY_APP_ID,
            "method": api,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": _shanghai(timezone.now()),
            "version": "1.0",
            "notify_url": notify_url,
            "biz_content": json.dumps(biz, separators=(",", ":"), ensure_ascii=False),
        }

    def _signed(self, params: dict[str, str]) -> dict[str, str]:
        try:
            key = app_private_key()
        except KEY_ERRORS as exc:
            raise ProviderUnavailable(f"Alipay is not configured: {_why(exc)}") from exc
        params = {k: v for k, v in params.items() if v}
        return {**params, "sign": rsa2_sign(key, sign_content(params))}

    def start(self, charge: Charge) -> dict:
        if charge.method not in PAY_METHODS:
            raise ValueError(f"Alipay does not take the method {charge.method!r}")
        if charge.currency != "CNY":
            raise ProviderRefused("Alipay takes payments in CNY only.", code="currency")
        api, product_code = PAY_METHODS[charge.method]
        biz = {
            "out_trade_no": charge.out_trade_no,
            "total_amount": _yuan(charge.amount),
            "subject": _subject(charge.description),
            "product_code": product_code,
            # Alipay refuses to be paid after this: the link dies with the payment window
            "time_expire": _shanghai(charge.expires_at),
        }
        wap_return = charge.method == "alipay_wap" and charge.return_url
        if wap_return:
            biz["quit_url"] = charge.return_url  # where the buyer lands on giving up
        params = self._common(api, biz, notify_url=charge.notify_url)
        if wap_return:
            params["return_url"] = charge.return_url  # where the buyer lands after paying
        signed = urlencode(self._signed(params))
        if charge.method == "alipay_wap":
            gateway = settings.ALIPAY_GATEWAY
            return {"type": "redirect", "url": f"{gateway}{'&' if '?' in gateway else '?'}{signed}"}
        return {"type": "sdk", "order_string": signed}

    def _call(self, api: str, biz: dict) -> tuple[str, dict]:
        """POST one API call; (code, verified answer). Raises ProviderUnavailable for anything
        but a signed answer with code 10000 or 40004."""
        signed = self._signed(self._common(api, biz))
        biz_content = signed.pop("biz_content")
        # as Alipay's own SDKs do: common parameters in the URL (the gateway reads `charset`
        # there before it decodes the body), the business content in the form body
        gateway = settings.ALIPAY_GATEWAY
        url = f"{gateway}{'&' if '?' in gateway else '?'}{urlencode(signed)}"
        answer = http.call(
            "POST", url,
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8",
                     "Accept": "application/json"},
            content=urlencode({"biz_content": biz_content}).encode("ascii"),
        )
        if answer.status != 200:
            raise ProviderUnavailable(f"Alipay {api}: HTTP {answer.status}.")
        result = verified_answer(answer.body, api)
        code = str(result.get("code", ""))
        sub_code = str(result.get("sub_code", ""))
        if code == SUCCESS:
            return code, result
        if code == BUSINESS_FAILED and sub_code not in RETRYABLE_SUB_CODES:
            return code, result
        raise ProviderUnavailable(
            f"Alipay {api}: code {code} {sub_code} {result.get('sub_msg') or result.get('msg')}"
        )

    def query(self, out_trade_no: str) -> Trade:
        code, answer = self._call("alipay.trade.query", {"out_trade_no": out_trade_no})
        if code != SUCCESS:
            if answer.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
                return Trade(out_trade_no=out_trade_no, status="pending")
            raise _refused("alipay.trade.query", answer)
        if answer.get("out_trade_no") != out_trade_no:
            raise ProviderUnavailable("Alipay alipay.trade.query: the answer is about another "
                                      "trade.")
        status = TRADE_STATUS.get(answer.get("trade_status"))
        if status is None:
            raise ProviderUnavailable(
                f"Alipay alipay.trade.query: unknown trade_status {answer.get('trade_status')!r}."
            )
        return Trade(
            out_trade_no=out_trade_no,
            status=status,
            transaction_id=str(answer.get("trade_no") or ""),
            amount=_amount(answer.get("total_amount")),
            paid_at=_parse_time(answer.get("send_pay_date")) if status == "succeeded" else None,
        )

    def close(self, out_trade_no: str) -> None:
        code, answer = self._call("alipay.trade.close", {"out_trade_no": out_trade_no})
        if code == SUCCESS:
            return None
        sub_code = answer.get("sub_code")
        if sub_code == "ACQ.TRADE_NOT_EXIST":
            # the buyer never opened the cashier; `time_expire` keeps the link from being paid
            return None
        if sub_code == "ACQ.TRADE_STATUS_ERROR":
            # paid, finished or already closed: the trade says which
            trade = self.query(out_trade_no)
            if trade.status == "closed":
                return None
            if trade.status == "succeeded":
                raise ProviderRefused("The Alipay trade is paid: it cannot be closed.",
                                      code="paid")
        raise _refused("alipay.trade.close", answer)

    def refund(self, order: RefundOrder) -> RefundResult:
        if order.currency != "CNY":
            raise ProviderRefused("Alipay refunds in CNY only.", code="currency")
        biz = {
            "out_trade_no": order.out_trade_no,
            "refund_amount": _yuan(order.amount),
            # always sent, also for a whole refund: the refund's own number makes asking twice
            # refund once, and the refund query needs it
            "out_request_no": order.out_refund_no,
            "refund_reason": order.reason[:256],
        }
        if order.transaction_id:
            biz["trade_no"] = order.transaction_id
        code, answer = self._call("alipay.trade.refund", biz)
        if code != SUCCESS:
            raise _refused("alipay.trade.refund", answer)
        if answer.get("fund_change") == "Y":
            return RefundResult(order.out_refund_no, "succeeded", amount=money(order.amount))
        # "N": no money moved by this call; the same out_request_no asked again after it
        # succeeded answers so too. The refund query tells which.
        try:
            return self.refund_query(order)
        except ProviderRefused:
            # accepted a moment ago and not yet visible to the query: not failed
            return RefundResult(order.out_refund_no, "pending")

    def refund_query(self, order: RefundOrder) -> RefundResult:
        biz = {"out_trade_no": order.out_trade_no, "out_request_no": order.out_refund_no}
        if order.transaction_id:
            biz["trade_no"] = order.transaction_id
        code, answer = self._call("alipay.trade.fastpay.refund.query", biz)
        if code != SUCCESS:
            raise _refused("alipay.trade.fastpay.refund.query", answer)
        if answer.get("refund_status") == "REFUND_SUCCESS":
            if answer.get("out_request_no") not in (None, order.out_refund_no):
                raise ProviderUnavailable("Alipay refund query: the answer is about another "
                                          "refund.")
            return RefundResult(order.out_refund_no, "succeeded",
                                amount=_amount(answer.get("refund_amount")) or order.amount)
        # No refund_status: Alipay "did not receive the request, or the refund failed". Either
        # way the remedy is to ask again with the same out_request_no (it refunds once, or
        # says why not), as for a refund the platform does not know.
        raise ProviderRefused(f"Alipay knows no refund {order.out_refund_no} of "
                              f"{order.out_trade_no}.", code="refund_not_found")

    # incoming

    def parse_notification(self, request: HttpRequest) -> Notice:
        params = _form(request.body)
        sign = params.get("sign", "")
        if not sign:
            raise NotificationRefused("The Alipay notification is not signed.",
                                     code="invalid_signature")
        if params.get("sign_type", "RSA2") != "RSA2":
            raise NotificationRefused("The Alipay notification is not signed with RSA2.",
                                     code="invalid_signature")
        try:
            key = alipay_public_key()
        except KEY_ERRORS as exc:
            # ours to fix: Alipay will try again later
            raise NotificationRefused(f"Alipay is not configured: {_why(exc)}", status=503,
                                      code="webhook_not_configured") from exc
        if not rsa2_verify(key, sign_content(params, without=("sign", "sign_type")), sign):
            raise NotificationRefused("The Alipay notification's signature does not verify.",
                                      code="invalid_signature")
        if not settings.ALIPAY_APP_ID or params.get("app_id") != settings.ALIPAY_APP_ID:
            raise NotificationRefused("The Alipay notification is for another app.",
                                      code="wrong_app")
        return _notice(params)

    def acknowledge(self, outcome: str = "processed", event_id: str = "") -> HttpResponse:
        # Alipay reads one word; what we did with it is ours
        return HttpResponse("success", content_type="text/plain; charset=utf-8")

    def refuse(self, error: NotificationRefused) -> HttpResponse:
        return HttpResponse("failure", status=error.status,
                            content_type="text/plain; charset=utf-8")


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


def _subject(description: str) -> str:
    subject = SUBJECT_FORBIDDEN.sub(" ", description).strip()
    return subject[:256] or "订单"


def _refused(api: str, answer: dict) -> ProviderRefused:
    sub_code = str(answer.get("sub_code") or answer.get("code") or "")
    message = answer.get("sub_msg") or answer.get("msg") or "refused"
    return ProviderRefused(f"Alipay {api}: {sub_code}: {message}", code=sub_code)


def _malformed() -> NotificationRefused:
    return NotificationRefused("The Alipay notification is malformed.", code="invalid_payload")


def _form(body: bytes) -> dict[str, str]:
    """The notification's parameters; one value each, or the body is malformed."""
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True,
                          encoding="utf-8", errors="strict", max_num_fields=200)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _malformed() from exc
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params or "\x00" in key or "\x00" in value:
            raise _malformed()
        params[key] = value
    return params


def _notice(params: dict[str, str]) -> Notice:
    """What a verified notification says. Alipay posts one notification kind
    (`trade_status_sync`) for payments and for refunds: a refund's carries `out_biz_no` (our
    out_request_no, i.e. the Refund's number) and `refund_fee`, which is the trade's *total*
    refunded so far, not this refund's amount, so the amount is left unknown (the refund is
    ours: its amount is on our row). Its `trade_status` is TRADE_SUCCESS after a partial refund
    and TRADE_CLOSED after a whole one; it is not read as news about the payment."""
    event_id = params.get("notify_id", "")
    out_trade_no = params.get("out_trade_no", "")
    if not event_id or len(event_id) > 128 or not out_trade_no or len(out_trade_no) > 64:
        raise _malformed()
    out_biz_no = params.get("out_biz_no", "")
    if out_biz_no and params.get("refund_fee"):
        if len(out_biz_no) > 64 or _amount(params["refund_fee"]) is None:
            raise _malformed()
        return Notice(event_id=event_id, payload=params,
                      refund=RefundResult(out_refund_no=out_biz_no, status="succeeded"))
    status = TRADE_STATUS.get(params.get("trade_status", ""))
    amount = _amount(params.get("total_amount"))
    if status is None or amount is None or amount <= 0:
        raise _malformed()
    return Notice(event_id=event_id, payload=params, trade=Trade(
        out_trade_no=out_trade_no,
        status=status,
        transaction_id=params.get("trade_no", "")[:64],
        amount=amount,
        paid_at=_parse_time(params.get("gmt_payment")) if status == "succeeded" else None,
    ))

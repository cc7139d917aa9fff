"""WeChat Pay API v3 (直连商户): JSAPI, H5 and Native prepay, query, close, refunds, and the
payment and refund notifications.

We speak the protocol ourselves, with `cryptography` and `payments.http.call`, rather than
through the `wechatpayv3` package: that package's client downloads platform certificates over the
network when it is constructed (unless given a platform public key), calls `requests` with no
timeout unless one is passed, verifies only 2xx answers and never checks the timestamp of a
notification. The protocol is small; owning it keeps every outgoing call on our timeouts and
every answer verified before it is believed.

Protocol (pay.weixin.qq.com, "签名认证" and "APIv3 接口规则"):

- A request carries `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="..",nonce_str="..",
  signature="..",timestamp="..",serial_no=".."`, the signature being base64 RSA-SHA256 (PKCS#1
  v1.5) with the merchant key over `METHOD\\nPATH?QUERY\\ntimestamp\\nnonce\\nbody\\n` (the body as
  sent, empty for a GET). In public-key mode it also names the platform key it expects
  (`Wechatpay-Serial`).
- An answer and a notification are signed by the platform over `timestamp\\nnonce\\nbody\\n`
  (`Wechatpay-Timestamp`, `Wechatpay-Nonce`, `Wechatpay-Signature`), with the key named by
  `Wechatpay-Serial`: the platform public key (`PUB_KEY_ID_...`, merchants since late 2024) or,
  for older merchants, a platform certificate's serial (WECHATPAY_PLATFORM_CERTIFICATES: files we
  are given, never downloaded; while a merchant migrates, either may sign). WeChat probes
  merchants with deliberately wrong signatures (`WECHATPAY/SIGNTEST/...`); those fail here as
  any bad signature does.
- A notification's `resource` is AES-256-GCM encrypted with the APIv3 key (32 bytes), the
  12-byte nonce and the associated data given beside it; the tag is the ciphertext's last 16
  bytes.

Amounts are integers in fen; we hand `Decimal` yuan to and from the rest of the code.
"""

import base64
import binascii
import functools
import ipaddress
import json
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from marketplace.money import money
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

SCHEME = "WECHATPAY2-SHA256-RSA2048"
CHINA = ZoneInfo("Asia/Shanghai")

# The merchant's settings; WECHATPAY_API_BASE has a default and is not listed. The platform's
# key is a public key with its id (merchants since late 2024) or, for older merchants, platform
# certificates (WECHATPAY_PLATFORM_CERTIFICATES, each known by its serial); while WeChat Pay
# moves a merchant from certificates to a public key, either may sign, so both may be given.
MERCHANT_SETTINGS = (
    "WECHATPAY_MCHID",
    "WECHATPAY_APPID",
    "WECHATPAY_APIV3_KEY",
    "WECHATPAY_PRIVATE_KEY",
    "WECHATPAY_CERT_SERIAL",
)
PUBLIC_KEY_SETTINGS = ("WECHATPAY_PLATFORM_PUBLIC_KEY", "WECHATPAY_PLATFORM_KEY_ID")
ALL_SETTINGS = (*MERCHANT_SETTINGS, *PUBLIC_KEY_SETTINGS, "WECHATPAY_PLATFORM_CERTIFICATES")

PREPAY_PATHS = {
    "wechat_jsapi": "/v3/pay/transactions/jsapi",
    "wechat_h5": "/v3/pay/transactions/h5",
    "wechat_native": "/v3/pay/transactions/native",
}

# trade_state -> our words. REFUND: it was paid (a refund followed, which Refund rows track).
TRADE_STATUS = {
    "SUCCESS": "succeeded",
    "REFUND": "succeeded",
    "NOTPAY": "pending",
    "USERPAYING": "pending",
    "ACCEPT": "pending",
    "CLOSED": "closed",
    "REVOKED": "closed",
    "PAYERROR": "failed",
}
# refund status -> our words. ABNORMAL: the money could not reach the buyer's card; it needs a
# person (the merchant platform's "异常退款"), so for us it failed.
REFUND_STATUS = {
    "SUCCESS": "succeeded",
    "PROCESSING": "pending",
    "CLOSED": "failed",
    "ABNORMAL": "failed",
}
REFUND_EVENTS = ("REFUND.SUCCESS", "REFUND.ABNORMAL", "REFUND.CLOSED")
# 4xx codes that mean "try again later", not "no".
RETRY_CODES = {"SYSTEM_ERROR", "SYSTEMERROR", "FREQUENCY_LIMITED", "RATELIMIT_EXCEEDED"}
PAID_CODES = {"ORDERPAID", "ORDER_PAID", "TRADE_PAID"}
# Closing a trade that is already closed, or was never created, is not an error (base.Provider)
GONE_CODES = {"ORDER_CLOSED", "ORDERCLOSED", "ORDER_NOT_EXIST", "ORDERNOTEXIST"}
NOT_FOUND_CODES = {"ORDER_NOT_EXIST", "ORDERNOTEXIST", "RESOURCE_NOT_EXISTS"}


class SignatureError(Exception):
    """An answer or a notification whose signature we cannot believe."""


# --- keys -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _load(path: str, mtime_ns: int, size: int, kind: str):
    """The private key, public key or certificate in a PEM file; cached by path and by the
    file's mtime and size, so a rotated file is read again without a restart."""
    with open(path, "rb") as handle:
        data = handle.read()
    if kind == "private":
        key = loaded = serialization.load_pem_private_key(data, password=None)
    elif kind == "certificate":
        loaded = x509.load_pem_x509_certificate(data)
        key = loaded.public_key()
    else:
        key = loaded = serialization.load_pem_public_key(data)
    wanted = rsa.RSAPrivateKey if kind == "private" else rsa.RSAPublicKey
    if not isinstance(key, wanted):
        raise ValueError("not an RSA key")
    if key.key_size < 2048:
        raise ValueError(f"an RSA key of {key.key_size} bits (WeChat Pay uses 2048)")
    return loaded


def _key(path: str, kind: str):
    """Raises OSError (unreadable) or ValueError (not an RSA key of 2048 bits or more in PEM,
    or not a certificate)."""
    stat = os.stat(path)
    return _load(path, stat.st_mtime_ns, stat.st_size, kind)


def _setting(name: str) -> str:
    value = getattr(settings, name, "") or ""
    if isinstance(value, list | tuple):
        return ",".join(str(item).strip() for item in value if str(item).strip())
    return str(value).strip()


def _paths(name: str) -> list[str]:
    return [item.strip() for item in _setting(name).split(",") if item.strip()]


def certificate_serial(value: str | int) -> str:
    """A certificate serial as WeChat Pay writes it in Wechatpay-Serial: upper-case hex; leading
    zeros do not matter."""
    number = int(value, 16) if isinstance(value, str) else value
    return format(number, "X")


@dataclass(frozen=True)
class PlatformKey:
    key: rsa.RSAPublicKey
    not_before: datetime | None = None  # a certificate's validity; a public key has none
    not_after: datetime | None = None

    def valid(self, moment: datetime) -> bool:
        return ((self.not_before is None or self.not_before <= moment)
                and (self.not_after is None or moment <= self.not_after))


@dataclass(frozen=True)
class Merchant:
    """The settings, read at call time (tests override them), with the keys loaded."""

    api_base: str
    mchid: str
    appid: str
    apiv3_key: bytes
    private_key: rsa.RSAPrivateKey
    cert_serial: str
    platform_serial: str  # the platform key we expect answers from (sent as Wechatpay-Serial)
    platform_keys: dict[str, PlatformKey]  # by Wechatpay-Serial

    def platform_key(self, serial: str) -> PlatformKey | None:
        found = self.platform_keys.get(serial)
        if found is None and serial and all(c in "0123456789abcdefABCDEF" for c in serial):
            found = self.platform_keys.get(certificate_serial(serial))
        return found


def _merchant() -> Merchant:
    """The configured merchant; ProviderUnavailable if the configuration has a problem."""
    problems = WeChatPayProvider().problems()
    if problems:
        raise ProviderUnavailable("WeChat Pay: " + "; ".join(problems))
    keys: dict[str, PlatformKey] = {}
    newest: tuple[datetime, str] | None = None
    for path in _paths("WECHATPAY_PLATFORM_CERTIFICATES"):
        certificate = _key(path, "certificate")
        serial = certificate_serial(certificate.serial_number)
        keys[serial] = PlatformKey(certificate.public_key(), certificate.not_valid_before_utc,
                                   certificate.not_valid_after_utc)
        if newest is None or certificate.not_valid_after_utc > newest[0]:
            newest = (certificate.not_valid_after_utc, serial)
    key_id = _setting("WECHATPAY_PLATFORM_KEY_ID")
    if key_id:
        keys[key_id] = PlatformKey(_key(_setting("WECHATPAY_PLATFORM_PUBLIC_KEY"), "public"))
    return Merchant(
        api_base=_setting("WECHATPAY_API_BASE").rstrip("/") or "https://api.mch.weixin.qq.com",
        mchid=_setting("WECHATPAY_MCHID"),
        appid=_setting("WECHATPAY_APPID"),
        apiv3_key=_setting("WECHATPAY_APIV3_KEY").encode(),
        private_key=_key(_setting("WECHATPAY_PRIVATE_KEY"), "private"),
        cert_serial=_setting("WECHATPAY_CERT_SERIAL"),
        platform_serial=key_id or (newest[1] if newest else ""),
        platform_keys=keys,
    )


# --- signatures and encryption ----------------------------------------------------------------


def rsa_sign(private_key: rsa.RSAPrivateKey, message: bytes) -> str:
    """Base64 RSA-SHA256 (PKCS#1 v1.5): what WeChat Pay calls SHA256 with RSA."""
    return base64.b64encode(
        private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    ).decode()


def nonce_str() -> str:
    return secrets.token_hex(16).upper()


def authorization(merchant: Merchant, method: str, path: str, body: bytes,
                  *, timestamp: int | None = None, nonce: str | None = None) -> str:
    """The `Authorization` header of a request to `path` (with its query string)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    nonce = nonce or nonce_str()
    message = f"{method}\n{path}\n{timestamp}\n{nonce}\n".encode() + body + b"\n"
    signature = rsa_sign(merchant.private_key, message)
    return (f'{SCHEME} mchid="{merchant.mchid}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{merchant.cert_serial}"')


def verify(merchant: Merchant, headers, body: bytes) -> None:
    """Check the platform's signature of an answer or a notification (raises SignatureError):
    the key named by `Wechatpay-Serial`, a timestamp within PAYMENT_WEBHOOK_TOLERANCE seconds,
    RSA-SHA256 over `timestamp\\nnonce\\nbody\\n` of the body exactly as received."""
    serial = headers.get("Wechatpay-Serial", "")
    signature = headers.get("Wechatpay-Signature", "")
    timestamp = headers.get("Wechatpay-Timestamp", "")
    nonce = headers.get("Wechatpay-Nonce", "")
    kind = headers.get("Wechatpay-Signature-Type", "")
    if not (serial and signature and timestamp and nonce):
        raise SignatureError("not signed (Wechatpay-Serial/-Signature/-Timestamp/-Nonce missing)")
    if kind and kind != SCHEME:
        raise SignatureError(f"signature type {kind[:40]!r} is not {SCHEME}")
    platform = merchant.platform_key(serial)
    if platform is None:
        raise SignatureError(f"unknown platform key serial {serial[:64]!r}")
    if not platform.valid(datetime.now(UTC)):
        raise SignatureError(f"platform certificate {serial[:64]!r} is not valid now")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise SignatureError("the timestamp is malformed")
    if abs(time.time() - int(timestamp)) > settings.PAYMENT_WEBHOOK_TOLERANCE:
        raise SignatureError("the timestamp is too old (or in the future): replays are refused")
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("the signature is not base64") from exc
    message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
    try:
        platform.key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise SignatureError("the signature does not match") from exc


def decrypt(apiv3_key: bytes, resource: dict) -> bytes:
    """The plaintext of a notification's `resource` (AEAD_AES_256_GCM). Raises ValueError."""
    if resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise ValueError(f"unsupported algorithm {str(resource.get('algorithm'))[:40]!r}")
    nonce = resource.get("nonce")
    ciphertext = resource.get("ciphertext")
    associated = resource.get("associated_data") or ""
    if not (isinstance(nonce, str) and isinstance(ciphertext, str)
            and isinstance(associated, str)):
        raise ValueError("resource nonce, ciphertext or associated_data missing")
    try:
        data = base64.b64decode(ciphertext, validate=True)
        return AESGCM(apiv3_key).decrypt(nonce.encode(), data, associated.encode())
    except (binascii.Error, InvalidTag, ValueError) as exc:
        raise ValueError("the resource does not decrypt with our APIv3 key") from exc


# --- amounts and times ------------------------------------------------------------------------


def to_fen(amount: Decimal) -> int:
    if amount != money(amount) or amount <= 0:
        raise ValueError(f"{amount} is not a positive amount in fen")
    return int(amount * 100)


MAX_FEN = 10**12  # orders.models.MAX_AMOUNT in fen: anything above is not a real amount


def from_fen(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FEN:
        raise ValueError(f"{str(value)[:24]!r} is not an amount in fen")
    return money(Decimal(value) / 100)


def rfc3339(moment: datetime) -> str:
    """2026-12-01T12:30:00+08:00: WeChat Pay's time format (Beijing time, whole seconds)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime")
    return moment.astimezone(CHINA).replace(microsecond=0).isoformat()


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _bytes_cut(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes without splitting a character."""
    return text.encode()[:limit].decode(errors="ignore")


# --- reading what the platform says -----------------------------------------------------------


def _trade(data: dict, merchant: Merchant, out_trade_no: str | None = None) -> Trade:
    """A transaction object (query answer or notification plaintext). Raises ValueError."""
    if data.get("mchid") != merchant.mchid:
        raise ValueError(f"mchid {str(data.get('mchid'))[:32]!r} is not ours")
    if data.get("appid") != merchant.appid:
        raise ValueError(f"appid {str(data.get('appid'))[:32]!r} is not ours")
    number = data.get("out_trade_no")
    if not isinstance(number, str) or not number or (out_trade_no and number != out_trade_no):
        raise ValueError("out_trade_no missing or not the one asked for")
    state = data.get("trade_state")
    if not isinstance(state, str):
        raise ValueError("trade_state missing")
    amount = data.get("amount") or {}
    total = amount.get("total") if isinstance(amount, dict) else None
    return Trade(
        out_trade_no=number,
        status=TRADE_STATUS.get(state, "pending"),
        transaction_id=str(data.get("transaction_id") or "")[:64],
        amount=from_fen(total) if total is not None else None,
        paid_at=_time(data.get("success_time")),
    )


def _refund(data: dict, out_refund_no: str | None = None) -> RefundResult:
    """A refund object (answer, query or notification plaintext). Raises ValueError."""
    number = data.get("out_refund_no")
    if not isinstance(number, str) or not number or (out_refund_no and number != out_refund_no):
        raise ValueError("out_refund_no missing or not the one asked for")
    # an answer says `status`, a notification `refund_status`
    state = data.get("status", data.get("refund_status"))
    if state not in REFUND_STATUS:
        raise ValueError(f"unknown refund status {str(state)[:32]!r}")
    amount = data.get("amount") or {}
    refunded = amount.get("refund") if isinstance(amount, dict) else None
    return RefundResult(
        out_refund_no=number,
        status=REFUND_STATUS[state],
        refund_id=str(data.get("refund_id") or "")[:64],
        amount=from_fen(refunded) if refunded is not None else None,
    )


# --- calls ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    data: dict
    code: str = ""
    message: str = ""


def request(merchant: Merchant, method: str, path: str, payload: dict | None = None) -> Reply:
    """One signed call; the answer verified. 2xx -> Reply; a 4xx we understand -> Reply with
    the platform's `code` (the caller decides what it means); anything we cannot believe ->
    ProviderUnavailable."""
    body = b"" if payload is None else json.dumps(
        payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "Authorization": authorization(merchant, method, path, body),
        "Accept": "application/json",
        "User-Agent": "shanhuo-wechatpay/1",
        # the platform key we expect (always sent in public-key mode)
        "Wechatpay-Serial": merchant.platform_serial,
    }
    if payload is not None:
        headers["Content-Type"] = "application/json"
    answer = http.call(method, merchant.api_base + path, headers=headers,
                       content=body if payload is not None else None)
    signed = "Wechatpay-Signature" in answer.headers
    # The platform signs what it answers; libraries (and the official SDKs) verify 2xx answers
    # only, as an error answer may come from a gateway in front. A signed error is verified
    # too: a refusal we cannot believe is not a refusal.
    if 200 <= answer.status < 300 or signed:
        try:
            verify(merchant, answer.headers, answer.body)
        except SignatureError as exc:
            raise ProviderUnavailable(f"WeChat Pay {method} {path}: answer {exc}") from exc
    data: dict = {}
    if answer.body:
        try:
            data = json.loads(answer.body)
        except ValueError as exc:
            raise ProviderUnavailable(
                f"WeChat Pay {method} {path}: HTTP {answer.status}, not JSON") from exc
        if not isinstance(data, dict):
            raise ProviderUnavailable(f"WeChat Pay {method} {path}: not a JSON object")
    if 200 <= answer.status < 300:
        return Reply(answer.status, data)
    code = str(data.get("code") or "")[:64]
    message = str(data.get("message") or "")[:500]
    # 401: the platform did not believe our signature (a wrong key, a clock far off): nothing
    # happened and nothing is decided, so a refund is not failed for it; a person fixes the
    # configuration and the next try goes through.
    if (answer.status in (401, 429) or code in RETRY_CODES
            or not 400 <= answer.status < 500):
        raise ProviderUnavailable(
            f"WeChat Pay {method} {path}: HTTP {answer.status} {code} {message}".rstrip())
    return Reply(answer.status, data, code, message)


def refused(reply: Reply) -> ProviderRefused:
    return ProviderRefused(reply.message or f"WeChat Pay refused (HTTP {reply.status})",
                           code=reply.code or f"http_{reply.status}")


def _answer(what: str, read, *args):
    """Read an answer body; what we cannot read is not believed."""
    try:
        return read(*args)
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise ProviderUnavailable(f"WeChat Pay {what}: {exc}") from exc


def _plain(value: str) -> str:
    """A path segment: our numbers are [A-Za-z0-9_-]; anything else is escaped."""
    return quote(value, safe="")


class WeChatPayProvider(Provider):
    name = "wechat"
    methods = ("wechat_jsapi", "wechat_h5", "wechat_native")

    def problems(self) -> list[str]:
        values = {name: _setting(name) for name in ALL_SETTINGS}
        if not any(values.values()):
            return ["WeChat Pay is not configured (set " + ", ".join(
                (*MERCHANT_SETTINGS, *PUBLIC_KEY_SETTINGS)) + ")."]
        missing = [name for name in MERCHANT_SETTINGS if not values[name]]
        public_key = [name for name in PUBLIC_KEY_SETTINGS if values[name]]
        if len(public_key) == 1 or not (public_key or values["WECHATPAY_PLATFORM_CERTIFICATES"]):
            missing += [name for name in PUBLIC_KEY_SETTINGS if not values[name]]
        problems = []
        if missing:
            problems.append("WeChat Pay is half configured: " + ", ".join(missing) + " not set.")
        files = [("WECHATPAY_PRIVATE_KEY", values["WECHATPAY_PRIVATE_KEY"], "private"),
                 ("WECHATPAY_PLATFORM_PUBLIC_KEY", values["WECHATPAY_PLATFORM_PUBLIC_KEY"],
                  "public")]
        files += [("WECHATPAY_PLATFORM_CERTIFICATES", path, "certificate")
                  for path in _paths("WECHATPAY_PLATFORM_CERTIFICATES")]
        for name, path, kind in files:
            if path:
                try:
                    _key(path, kind)
                except OSError as exc:
                    problems.append(f"{name}: cannot read {path} ({exc.strerror}).")
                except ValueError as exc:
                    what = "a certificate" if kind == "certificate" else f"an RSA {kind} key"
                    problems.append(f"{name}: {path} is not {what} in PEM ({exc}).")
        key = values["WECHATPAY_APIV3_KEY"]
        if key and len(key.encode()) != 32:
            problems.append(f"WECHATPAY_APIV3_KEY is {len(key.encode())} bytes; the APIv3 key "
                            "is exactly 32.")
        base = _setting("WECHATPAY_API_BASE") or "https://api.mch.weixin.qq.com"
        parts = urlsplit(base)
        if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(parts.hostname)):
            problems.append(f"WECHATPAY_API_BASE {base} is not https.")
        return problems

    # --- outgoing ---

    def start(self, charge: Charge) -> dict:
        if charge.method not in PREPAY_PATHS:
            raise ProviderRefused(f"{charge.method} is not a WeChat Pay method",
                                  code="method_unknown")
        merchant = _merchant()
        payload: dict[str, Any] = {
            "appid": merchant.appid,
            "mchid": merchant.mchid,
            "description": _bytes_cut(charge.description, 127) or charge.out_trade_no,
            "out_trade_no": charge.out_trade_no,
            "time_expire": rfc3339(charge.expires_at),
            "notify_url": charge.notify_url,
            "amount": {"total": to_fen(charge.amount), "currency": charge.currency or "CNY"},
        }
        if charge.method == "wechat_jsapi":
            if not charge.openid:
                raise ProviderRefused("wechat_jsapi needs the payer's openid", code="openid")
            payload["payer"] = {"openid": charge.openid}
        elif charge.method == "wechat_h5":
            if not charge.client_ip:
                raise ProviderRefused("wechat_h5 needs the payer's IP address", code="client_ip")
            payload["scene_info"] = {"payer_client_ip": charge.client_ip,
                                     "h5_info": {"type": "Wap"}}
        reply = request(merchant, "POST", PREPAY_PATHS[charge.method], payload)
        if reply.code:
            raise refused(reply)
        return _answer("prepay answer", _action, merchant, charge, reply.data)

    def query(self, out_trade_no: str) -> Trade:
        merchant = _merchant()
        path = (f"/v3/pay/transactions/out-trade-no/{_plain(out_trade_no)}?"
                + urlencode({"mchid": merchant.mchid}))
        reply = request(merchant, "GET", path)
        if reply.code in NOT_FOUND_CODES:
            return Trade(out_trade_no=out_trade_no, status="pending")
        if reply.code:
            raise refused(reply)
        return _answer("query answer", _trade, reply.data, merchant, out_trade_no)

    def close(self, out_trade_no: str) -> None:
        merchant = _merchant()
        path = f"/v3/pay/transactions/out-trade-no/{_plain(out_trade_no)}/close"
        reply = request(merchant, "POST", path, {"mchid": merchant.mchid})
        if reply.status == 202 or reply.data.get("code") == "USER_PAYING":
            # the payer is entering the password right now: not closed; ask again shortly
            raise ProviderUnavailable("WeChat Pay: the payer is paying; the trade is not closed")
        if reply.code in PAID_CODES:
            raise ProviderRefused(reply.message or "The trade is paid.", code="paid")
        if reply.code and reply.code not in GONE_CODES:
            raise refused(reply)

    def refund(self, order: RefundOrder) -> RefundResult:
        merchant = _merchant()
        payload: dict[str, Any] = {
            "out_refund_no": order.out_refund_no,
            "reason": order.reason[:80],
            "notify_url": order.notify_url,
            "amount": {"refund": to_fen(order.amount), "total": to_fen(order.total),
                       "currency": order.currency or "CNY"},
        }
        if order.transaction_id:
            payload["transaction_id"] = order.transaction_id
        else:
            payload["out_trade_no"] = order.out_trade_no
        if not payload["reason"]:
            del payload["reason"]
        reply = request(merchant, "POST", "/v3/refund/domestic/refunds", payload)
        if reply.code:
            raise refused(reply)
        return _answer("refund answer", _refund, reply.data, order.out_refund_no)

    def refund_query(self, order: RefundOrder) -> RefundResult:
        """An unknown refund (our request never reached the platform) -> ProviderRefused with
        code RESOURCE_NOT_EXISTS: asking again with the same `out_refund_no` is safe."""
        merchant = _merchant()
        reply = request(merchant, "GET",
                        f"/v3/refund/domestic/refunds/{_plain(order.out_refund_no)}")
        if reply.code:
            raise refused(reply)
        return _answer("refund query answer", _refund, reply.data, order.out_refund_no)

    # --- incoming ---

    def parse_notification(self, request: HttpRequest) -> Notice:
        try:
            merchant = _merchant()
        except ProviderUnavailable as exc:
            raise NotificationRefused(str(exc), status=401, code="not_configured") from exc
        body = request.body
        try:
            verify(merchant, request.headers, body)
        except SignatureError as exc:
            raise NotificationRefused(f"Notification {exc}.", status=401,
                                     code="invalid_signature") from exc
        try:
            envelope = json.loads(body)
            event_id = envelope["id"]
            event_type = envelope["event_type"]
            resource = envelope["resource"]
            if not (isinstance(event_id, str) and event_id and isinstance(event_type, str)
                    and isinstance(resource, dict)):
                raise ValueError("id, event_type or resource missing")
        except (ValueError, KeyError, TypeError) as exc:
            raise NotificationRefused(f"The notification body is malformed ({exc}).",
                                     code="invalid_payload") from exc
        try:
            plaintext = decrypt(merchant.apiv3_key, resource)
        except ValueError as exc:
            raise NotificationRefused(f"The notification resource: {exc}.",
                                     code="undecryptable") from exc
        try:
            data = json.loads(plaintext)
            if not isinstance(data, dict):
                raise ValueError("the resource is not a JSON object")
            payload = {"id": event_id, "event_type": event_type,
                       "create_time": envelope.get("create_time"),
                       # the payer's openid is a person's id: not kept
                       "resource": {k: v for k, v in data.items() if k != "payer"}}
            if "\\u0000" in json.dumps(payload):  # PostgreSQL's jsonb cannot keep it
                raise ValueError("a NUL character")
            if event_type.startswith("TRANSACTION."):
                return Notice(event_id=event_id[:128], payload=payload,
                              trade=_trade(data, merchant))
            if event_type in REFUND_EVENTS:
                if data.get("mchid") != merchant.mchid:
                    raise ValueError(f"mchid {str(data.get('mchid'))[:32]!r} is not ours")
                return Notice(event_id=event_id[:128], payload=payload, refund=_refund(data))
            raise ValueError(f"unknown event_type {event_type[:40]!r}")
        except (ValueError, TypeError, AttributeError) as exc:
            raise NotificationRefused(f"The notification is not one we take ({exc}).",
                                     code="invalid_payload") from exc

    def acknowledge(self, outcome: str = "processed", event_id: str = "") -> HttpResponse:
        return HttpResponse(status=204)  # WeChat Pay reads the status only

    def refuse(self, error: NotificationRefused) -> HttpResponse:
        return JsonResponse({"code": "FAIL", "message": str(error)[:200]}, status=error.status,
                            json_dumps_params={"ensure_ascii": False})


def _action(merchant: Merchant, charge: Charge, data: dict) -> dict:
    """What the app does next with a prepay answer (API.md `payment.action`)."""
    if charge.method == "wechat_jsapi":
        prepay_id = data["prepay_id"]
        if not isinstance(prepay_id, str) or not prepay_id:
            raise ValueError("prepay_id missing")
        timestamp, nonce, package = str(int(time.time())), nonce_str(), f"prepay_id={prepay_id}"
        message = f"{merchant.appid}\n{timestamp}\n{nonce}\n{package}\n".encode()
        return {"type": "jsapi", "params": {
            "appId": merchant.appid, "timeStamp": timestamp, "nonceStr": nonce,
            "package": package, "signType": "RSA",
            "paySign": rsa_sign(merchant.private_key, message)}}
    if charge.method == "wechat_h5":
        url = data["h5_url"]
        if not isinstance(url, str) or not url.startswith("https://"):
            raise ValueError("h5_url missing or not https")
        if charge.return_url:
            # WeChat sends the payer back here after the cashier page (H5 redirect_url)
            url += ("&" if "?" in url else "?") + urlencode({"redirect_url": charge.return_url})
        return {"type": "redirect", "url": url}
    code_url = data["code_url"]
    if not isinstance(code_url, str) or not code_url:
        raise ValueError("code_url missing")
    return {"type": "qr", "code_url": code_url}


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False

"""A fake WeChat Pay API v3 platform for tests: a real HTTP server on 127.0.0.1 that checks our
request signatures with the merchant's public key, keeps trades and refunds in memory, answers
signed with its own platform key, and builds signed, encrypted notifications for our webhook.

Keys are generated when the tests run (once per run) and written to each test's tmp_path;
nothing is committed.

    def test_something(wechat_platform):        # the fixture below; settings already point here
        ...
        wechat_platform.pay("SH123")               # the buyer pays on the platform
        headers, body = wechat_platform.transaction_notification("SH123")

Faults: `platform.fault = ...` applies to every request until set back to None: "500" (busy,
nothing done), "500_after" (done, but the answer is a 500), "hang" (done, no answer until the
test ends), "bad_signature", "wrong_key", "unsigned" (done, the answer cannot be believed).
"""

import base64
import functools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

CHINA = ZoneInfo("Asia/Shanghai")
SCHEME = "WECHATPAY2-SHA256-RSA2048"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def session_keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    """The merchant's and the platform's key pairs, made once per test run (a 2048-bit key
    takes a while on a shared machine); a test that needs another calls new_key()."""
    return new_key(), new_key()


@functools.cache
def certificate_key() -> rsa.RSAPrivateKey:
    """The key of the platform certificates (older merchants), made once per test run."""
    return new_key()


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(public_key, signature: str, message: bytes) -> bool:
    try:
        public_key.verify(base64.b64decode(signature), message, padding.PKCS1v15(),
                          hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def now_china() -> str:
    return datetime.now(CHINA).replace(microsecond=0).isoformat()


@dataclass
class Received:
    method: str
    path: str  # with the query string
    headers: dict
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body) if self.body else {}


@dataclass
class FakeTrade:
    out_trade_no: str
    kind: str  # JSAPI, MWEB (h5), NATIVE
    total: int
    description: str
    notify_url: str
    time_expire: str
    openid: str = ""
    state: str = "NOTPAY"
    transaction_id: str = ""
    success_time: str = ""
    payer_total: int | None = None
    prepay_id: str = field(default_factory=lambda: "wx" + secrets.token_hex(14))


@dataclass
class FakeRefund:
    out_refund_no: str
    out_trade_no: str
    transaction_id: str
    refund: int
    total: int
    reason: str
    notify_url: str
    status: str = "PROCESSING"
    refund_id: str = field(default_factory=lambda: "5030" + secrets.token_hex(12))
    success_time: str = ""


class FakeWeChatPay:
    mchid = "1900000109"
    appid = "wxd678efh567hg6787"
    cert_serial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
    key_id = "PUB_KEY_ID_0114232134912410190000000000001234"

    def __init__(self, directory: Path):
        self.apiv3_key = secrets.token_hex(16)  # 32 ASCII bytes
        self.merchant_key, self.platform_key = session_keys()
        self.private_key_path = directory / "wechat_apiclient_key.pem"
        self.platform_key_path = directory / "wechat_pub_key.pem"
        self.merchant_public_key_path = directory / "wechat_apiclient_pub.pem"
        self.private_key_path.write_bytes(private_pem(self.merchant_key))
        self.platform_key_path.write_bytes(public_pem(self.platform_key))
        self.merchant_public_key_path.write_bytes(public_pem(self.merchant_key))
        self.trades: dict[str, FakeTrade] = {}
        self.refunds: dict[str, FakeRefund] = {}
        self.received: list[Received] = []
        self.fault: str | None = None
        # the merchant's balance cannot cover refunds (until the test tops it up)
        self.balance_short = False
        # who signs the answers: (key, Wechatpay-Serial); see use_certificate()
        self.answer_signer: tuple[rsa.RSAPrivateKey, str] = (self.platform_key, self.key_id)
        self.refunds_settle_at_once = False
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeWeChatPay":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # let hanging answers go
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def settings(self) -> dict:
        """The WECHATPAY_* settings that point our provider at this platform."""
        return {
            "WECHATPAY_API_BASE": self.url,
            "WECHATPAY_MCHID": self.mchid,
            "WECHATPAY_APPID": self.appid,
            "WECHATPAY_APIV3_KEY": self.apiv3_key,
            "WECHATPAY_PRIVATE_KEY": str(self.private_key_path),
            "WECHATPAY_CERT_SERIAL": self.cert_serial,
            "WECHATPAY_PLATFORM_PUBLIC_KEY": str(self.platform_key_path),
            "WECHATPAY_PLATFORM_KEY_ID": self.key_id,
        }

    def certificate(self, *, serial: int = 0x3775B6A45ACD588826D15E583A95F5DD3ED6A4E,
                    valid_from: timedelta = timedelta(days=-1),
                    valid_for: timedelta = timedelta(days=365)) -> tuple[Path, str]:
        """A platform certificate (older merchants) for certificate_key(), written beside the
        keys: (its PEM path, its serial as WeChat Pay writes it)."""
        key = certificate_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA")])
        start = datetime.now(UTC) + valid_from
        certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                       .public_key(key.public_key()).serial_number(serial)
                       .not_valid_before(start).not_valid_after(start + valid_for)
                       .sign(key, hashes.SHA256()))
        path = self.private_key_path.parent / f"wechatpay_{serial:X}.pem"
        path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        return path, f"{serial:X}"

    def use_certificate(self, serial: str) -> None:
        """Sign answers with the certificate's key (what an older merchant sees)."""
        self.answer_signer = (certificate_key(), serial)

    # --- what happens on the platform side (a buyer paying, time passing) ---

    def pay(self, out_trade_no: str, *, payer_total: int | None = None) -> FakeTrade:
        """The buyer pays the trade (its state becomes SUCCESS)."""
        with self._lock:
            trade = self.trades[out_trade_no]
            trade.state = "SUCCESS"
            trade.transaction_id = "4200" + secrets.token_hex(12)
            trade.success_time = now_china()
            trade.payer_total = trade.total if payer_total is None else payer_total
            return trade

    def set_state(self, out_trade_no: str, state: str) -> None:
        with self._lock:
            self.trades[out_trade_no].state = state

    def settle_refund(self, out_refund_no: str, status: str = "SUCCESS") -> FakeRefund:
        with self._lock:
            refund = self.refunds[out_refund_no]
            refund.status = status
            if status == "SUCCESS":
                refund.success_time = now_china()
            return refund

    def requests_to(self, path_start: str) -> list[Received]:
        return [r for r in self.received if r.path.startswith(path_start)]

    # --- objects as the platform shows them ---

    def trade_json(self, trade: FakeTrade, **override) -> dict:
        data = {
            "appid": self.appid, "mchid": self.mchid, "out_trade_no": trade.out_trade_no,
            "trade_type": trade.kind, "trade_state": trade.state,
            "trade_state_desc": {"SUCCESS": "支付成功", "NOTPAY": "未支付", "CLOSED": "已关闭"}
            .get(trade.state, trade.state),
            "attach": "", "payer": {"openid": trade.openid or "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            "amount": {"total": trade.total, "currency": "CNY", "payer_currency": "CNY"},
        }
        if trade.transaction_id:
            data.update(transaction_id=trade.transaction_id, bank_type="OTHERS",
                        success_time=trade.success_time)
            data["amount"]["payer_total"] = trade.payer_total
        data.update(override)
        return data

    def refund_json(self, refund: FakeRefund, **override) -> dict:
        data = {
            "refund_id": refund.refund_id, "out_refund_no": refund.out_refund_no,
            "transaction_id": refund.transaction_id, "out_trade_no": refund.out_trade_no,
            "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
            "create_time": now_china(), "status": refund.status, "funds_account": "AVAILABLE",
            "amount": {"total": refund.total, "refund": refund.refund,
                       "payer_total": refund.total, "payer_refund": refund.refund,
                       "settlement_total": refund.total, "settlement_refund": refund.refund,
                       "discount_refund": 0, "currency": "CNY"},
        }
        if refund.success_time:
            data["success_time"] = refund.success_time
        data.update(override)
        return data

    # --- notifications to our webhook ---

    def encrypt(self, plaintext: bytes, associated_data: str, key: str | None = None) -> dict:
        nonce = secrets.token_hex(6)  # 12 ASCII characters, as the platform sends
        ciphertext = AESGCM((key or self.apiv3_key).encode()).encrypt(
            nonce.encode(), plaintext, associated_data.encode())
        return {"original_type": associated_data, "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(ciphertext).decode(),
                "associated_data": associated_data, "nonce": nonce}

    def signed_headers(self, body: bytes, *, timestamp: int | None = None,
                       serial: str | None = None, key: rsa.RSAPrivateKey | None = None,
                       nonce: str | None = None) -> dict:
        timestamp = int(time.time()) if timestamp is None else timestamp
        nonce = nonce or secrets.token_hex(16)
        message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
        return {
            "Wechatpay-Timestamp": str(timestamp),
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": sign(key or self.platform_key, message),
            "Wechatpay-Serial": serial or self.key_id,
            "Wechatpay-Signature-Type": SCHEME,
        }

    def notification(self, event_type: str, resource: dict, *, event_id: str | None = None,
                     apiv3_key: str | None = None, **signing) -> tuple[dict, bytes]:
        """(headers, body) of a notification carrying `resource`, encrypted and signed.
        `signing`: timestamp, serial, key, nonce (see signed_headers)."""
        original = "refund" if event_type.startswith("REFUND.") else "transaction"
        plaintext = json.dumps(resource, ensure_ascii=False).encode()
        envelope = {
            "id": event_id or secrets.token_hex(18),
            "create_time": now_china(),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功" if event_type == "TRANSACTION.SUCCESS" else "退款状态变更",
            "resource": self.encrypt(plaintext, original, apiv3_key),
        }
        body = json.dumps(envelope, ensure_ascii=False).encode()
        return self.signed_headers(body, **signing), body

    def transaction_notification(self, out_trade_no: str, *, override: dict | None = None,
                                 **kwargs) -> tuple[dict, bytes]:
        """The TRANSACTION.SUCCESS notification of a paid trade (pay() it first)."""
        trade = self.trades[out_trade_no]
        return self.notification("TRANSACTION.SUCCESS",
                                 self.trade_json(trade, **(override or {})), **kwargs)

    def refund_notification(self, out_refund_no: str, *, override: dict | None = None,
                            **kwargs) -> tuple[dict, bytes]:
        refund = self.refunds[out_refund_no]
        event = {"SUCCESS": "REFUND.SUCCESS", "ABNORMAL": "REFUND.ABNORMAL",
                 "CLOSED": "REFUND.CLOSED"}[refund.status]
        resource = {
            "mchid": self.mchid, "out_trade_no": refund.out_trade_no,
            "transaction_id": refund.transaction_id, "out_refund_no": refund.out_refund_no,
            "refund_id": refund.refund_id, "refund_status": refund.status,
            "success_time": refund.success_time, "user_received_account": "支付用户零钱",
            "amount": {"total": refund.total, "refund": refund.refund,
                       "payer_total": refund.total, "payer_refund": refund.refund},
        }
        resource.update(override or {})
        return self.notification(event, resource, **kwargs)

    # --- the HTTP side ---

    def handle(self, method: str, target: str, headers: dict, body: bytes
               ) -> tuple[int, dict | None]:
        self.received.append(Received(method, target, headers, body))
        problem = self._authorization_problem(method, target, headers, body)
        if problem:
            return 401, {"code": "SIGN_ERROR", "message": problem}
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return 400, {"code": "PARAM_ERROR", "message": "请求体不是 JSON"}
        with self._lock:
            if method == "POST" and path in ("/v3/pay/transactions/jsapi",
                                             "/v3/pay/transactions/h5",
                                             "/v3/pay/transactions/native"):
                return self._prepay(path.rsplit("/", 1)[1], data)
            prefix = "/v3/pay/transactions/out-trade-no/"
            if path.startswith(prefix):
                rest = path[len(prefix):]
                if method == "POST" and rest.endswith("/close"):
                    return self._close(unquote(rest[:-len("/close")]), data)
                if method == "GET" and "/" not in rest:
                    return self._query(unquote(rest), query)
            if method == "POST" and path == "/v3/refund/domestic/refunds":
                return self._refund(data)
            prefix = "/v3/refund/domestic/refunds/"
            if method == "GET" and path.startswith(prefix):
                refund = self.refunds.get(unquote(path[len(prefix):]))
                if refund is None:
                    return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"}
                return 200, self.refund_json(refund)
        return 404, {"code": "NOT_FOUND", "message": f"no route {method} {path}"}

    def _authorization_problem(self, method, target, headers, body) -> str:
        value = headers.get("authorization", "")
        scheme, _, rest = value.partition(" ")
        if scheme != SCHEME:
            return "Authorization 不是 WECHATPAY2-SHA256-RSA2048"
        fields = {}
        for part in rest.split(","):
            key, _, item = part.strip().partition("=")
            fields[key] = item.strip('"')
        if set(fields) != {"mchid", "nonce_str", "signature", "timestamp", "serial_no"}:
            return f"Authorization 字段不全: {sorted(fields)}"
        if fields["mchid"] != self.mchid or fields["serial_no"] != self.cert_serial:
            return "商户号或证书序列号不对"
        if abs(time.time() - int(fields["timestamp"])) > 300:
            return "时间戳过期"
        message = (f"{method}\n{target}\n{fields['timestamp']}\n{fields['nonce_str']}\n"
                   .encode() + body + b"\n")
        if not verify(self.merchant_key.public_key(), fields["signature"], message):
            return "签名错误"
        return ""

    def _prepay(self, kind: str, data: dict) -> tuple[int, dict]:
        required = {"appid", "mchid", "description", "out_trade_no", "notify_url", "amount",
                    "time_expire"}
        if not required <= set(data):
            return 400, {"code": "PARAM_ERROR", "message": f"缺少 {sorted(required - set(data))}"}
        if data["appid"] != self.appid or data["mchid"] != self.mchid:
            return 400, {"code": "APPID_MCHID_NOT_MATCH", "message": "appid 和 mchid 不匹配"}
        amount = data["amount"]
        if not (isinstance(amount.get("total"), int) and amount["total"] > 0
                and amount.get("currency") == "CNY"):
            return 400, {"code": "PARAM_ERROR", "message": "amount 不对"}
        try:
            expires = datetime.fromisoformat(data["time_expire"])
        except ValueError:
            return 400, {"code": "PARAM_ERROR", "message": "time_expire 格式不对"}
        if expires.utcoffset() != timedelta(hours=8) or "T" not in data["time_expire"]:
            return 400, {"code": "PARAM_ERROR", "message": "time_expire 须为北京时间 RFC 3339"}
        if len(data["description"].encode()) > 127:
            return 400, {"code": "PARAM_ERROR", "message": "description 超长"}
        openid = ""
        if kind == "jsapi":
            openid = (data.get("payer") or {}).get("openid", "")
            if not openid:
                return 400, {"code": "PARAM_ERROR", "message": "缺少 payer.openid"}
        if kind == "h5":
            scene = data.get("scene_info") or {}
            if not scene.get("payer_client_ip") or (scene.get("h5_info") or {}).get(
                    "type") not in ("Wap", "iOS", "Android"):
                return 400, {"code": "PARAM_ERROR", "message": "缺少 scene_info"}
        trade = self.trades.get(data["out_trade_no"])
        if trade is None:
            trade = FakeTrade(data["out_trade_no"],
                              {"jsapi": "JSAPI", "h5": "MWEB", "native": "NATIVE"}[kind],
                              amount["total"], data["description"], data["notify_url"],
                              data["time_expire"], openid)
            self.trades[trade.out_trade_no] = trade
        elif trade.state == "SUCCESS":
            return 400, {"code": "ORDERPAID", "message": "该订单已支付"}
        elif trade.state == "CLOSED":
            return 400, {"code": "ORDER_CLOSED", "message": "订单已关闭"}
        elif trade.total != amount["total"]:
            return 400, {"code": "INVALID_REQUEST", "message": "201 商户订单号重复"}
        if kind == "jsapi":
            return 200, {"prepay_id": trade.prepay_id}
        if kind == "h5":
            return 200, {"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb"
                                   f"?prepay_id={trade.prepay_id}&package=2746219290"}
        return 200, {"code_url": f"weixin://wxpay/bizpayurl?pr={trade.prepay_id[-9:]}"}

    def _query(self, out_trade_no: str, query: dict) -> tuple[int, dict]:
        if query.get("mchid") != [self.mchid]:
            return 400, {"code": "PARAM_ERROR", "message": "mchid 不对"}
        trade = self.trades.get(out_trade_no)
        if trade is None:
            return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
        return 200, self.trade_json(trade)

    def _close(self, out_trade_no: str, data: dict) -> tuple[int, dict | None]:
        if data.get("mchid") != self.mchid:
            return 400, {"code": "PARAM_ERROR", "message": "mchid 不对"}
        trade = self.trades.get(out_trade_no)
        if trade is None:
            return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
        if trade.state in ("SUCCESS", "REFUND"):
            return 400, {"code": "ORDERPAID", "message": "该订单已支付"}
        if trade.state == "USERPAYING":
            return 202, {"code": "USER_PAYING", "message": "用户支付中，需要输入密码"}
        trade.state = "CLOSED"
        return 204, None

    def _refund(self, data: dict) -> tuple[int, dict]:
        number = data.get("out_refund_no")
        amount = data.get("amount") or {}
        if not number or not isinstance(amount.get("refund"), int) or amount["refund"] <= 0:
            return 400, {"code": "PARAM_ERROR", "message": "out_refund_no 或 amount 不对"}
        if number in self.refunds:  # the same refund asked again: the same answer
            return 200, self.refund_json(self.refunds[number])
        if self.balance_short:
            return 403, {"code": "NOT_ENOUGH", "message": "基本账户余额不足，请充值后重新发起"}
        trade = next((t for t in self.trades.values()
                      if t.out_trade_no == data.get("out_trade_no")
                      or (t.transaction_id and t.transaction_id == data.get("transaction_id"))),
                     None)
        if trade is None:
            return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"}
        if trade.state not in ("SUCCESS", "REFUND"):
            return 400, {"code": "INVALID_REQUEST", "message": "订单未支付"}
        if amount.get("total") != trade.total:
            return 400, {"code": "PARAM_ERROR", "message": "订单金额不对"}
        refunded = sum(r.refund for r in self.refunds.values()
                       if r.out_trade_no == trade.out_trade_no and r.status != "CLOSED")
        if refunded + amount["refund"] > trade.total:
            return 400, {"code": "INVALID_REQUEST", "message": "申请退款金额超过订单可退金额"}
        refund = FakeRefund(number, trade.out_trade_no, trade.transaction_id, amount["refund"],
                            trade.total, data.get("reason", ""), data.get("notify_url", ""))
        if self.refunds_settle_at_once:
            refund.status, refund.success_time = "SUCCESS", now_china()
        self.refunds[number] = refund
        trade.state = "REFUND"
        return 200, self.refund_json(refund)

    def respond(self, handler: BaseHTTPRequestHandler, status: int, data: dict | None) -> None:
        fault = self.fault
        if fault == "hang":
            self._release.wait(30)
            return
        if fault == "500_after":  # done, and the answer lost
            status, data = 500, {"code": "SYSTEM_ERROR", "message": "系统繁忙，请稍后重试"}
        body = b"" if data is None else json.dumps(data, ensure_ascii=False).encode()
        key, serial = self.answer_signer
        headers = self.signed_headers(body, key=key, serial=serial)
        if fault == "bad_signature":
            headers = self.signed_headers(body + b" ")  # signed over another body
        elif fault == "wrong_key":
            headers = self.signed_headers(body, key=self.merchant_key)
        elif fault == "unsigned":
            headers = {}
        handler.send_response(status)
        if body:
            handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Request-ID", secrets.token_hex(16))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        if body:
            handler.wfile.write(body)


def _handler(platform: FakeWeChatPay):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            if platform.fault == "500":  # busy: nothing done
                platform.received.append(Received(self.command, self.path, headers, body))
                status, data = 500, {"code": "SYSTEM_ERROR", "message": "系统繁忙，请稍后重试"}
            else:
                status, data = platform.handle(self.command, self.path, headers, body)
            platform.respond(self, status, data)

        do_GET = do_POST = _serve

        def log_message(self, format, *args):  # quiet
            pass

    return Handler


@pytest.fixture
def wechat_platform(settings, tmp_path):
    """A running fake WeChat Pay platform, and our settings pointed at it with `wechat` enabled
    beside whatever providers the test had."""
    platform = FakeWeChatPay(tmp_path).start()
    for name, value in platform.settings().items():
        setattr(settings, name, value)
    settings.PAYMENT_PROVIDERS = [*settings.PAYMENT_PROVIDERS, "wechat"]
    settings.PAYMENT_WEBHOOK_TOLERANCE = 300
    settings.PAYMENT_HTTP_TIMEOUT = 5.0
    yield platform
    platform.stop()

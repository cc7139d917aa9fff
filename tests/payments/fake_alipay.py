"""A fake Alipay open platform for tests: a real HTTP server on 127.0.0.1 that plays the gateway.

It holds two RSA key pairs made at test time (nothing is committed): the app's (we sign with its
private half, the fake checks with its public half) and Alipay's (the fake signs its answers and
notifications, we verify with its public half). It refuses a request whose signature does not
verify (`isv.invalid-signature`, as the real gateway does), keeps trades and refunds in memory,
answers each call in Alipay's own shape, signed over the response object's exact text, and can
be told to fail: answer 500, hang past the client's timeout, or sign its answer wrongly.

The trade lifecycle follows Alipay's: `alipay.trade.wap.pay` / `alipay.trade.app.pay` make no
call; the trade exists once the buyer opens the cashier (`open_cashier`), and is paid when the
buyer pays (`pay`). Both take what our provider handed the app (the redirect URL or the order
string), check its signature and read its biz_content, as the real cashier would.
"""

import base64
import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SHANGHAI = ZoneInfo("Asia/Shanghai")
APP_ID = "2021004100000001"
SELLER_ID = "2088102100000001"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def signed_text(params: dict[str, str], without=("sign",)) -> str:
    """Written apart from the provider's on purpose: the fake is Alipay, not our code."""
    items = [(k, v) for k, v in params.items() if k not in without and v != ""]
    return "&".join(f"{k}={v}" for k, v in sorted(items, key=lambda kv: kv[0]))


def sign(key: rsa.RSAPrivateKey, text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return base64.b64encode(key.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode()


def verifies(key: rsa.RSAPrivateKey, text: str, signature: str) -> bool:
    try:
        key.public_key().verify(base64.b64decode(signature), text.encode(),
                                padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def now_text() -> str:
    return datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class FakeTrade:
    out_trade_no: str
    total_amount: Decimal
    subject: str
    product_code: str
    time_expire: str
    notify_url: str
    trade_no: str
    status: str = "WAIT_BUYER_PAY"
    gmt_payment: str = ""
    refunded: Decimal = Decimal("0.00")
    refunds: dict = field(default_factory=dict)  # out_request_no -> Decimal


class FakeAlipay:
    def __init__(self, directory: Path, keys: tuple | None = None):
        self.app_key, self.alipay_key = keys or (new_key(), new_key())
        self.app_id = APP_ID
        self.private_key_path = directory / "alipay_app_private_key.pem"
        self.public_key_path = directory / "alipay_public_key.pem"
        self.private_key_path.write_bytes(private_pem(self.app_key))
        self.public_key_path.write_bytes(public_pem(self.alipay_key))
        self.trades: dict[str, FakeTrade] = {}
        self.requests: list[dict[str, str]] = []  # every call received, parameters merged
        # "500", "hang", "bad_sign", "no_sign", "tampered", "refund_not_visible": each used by
        # one call, in order
        self.faults: deque[str] = deque()
        self.extra: dict = {}  # merged into every answer (e.g. a sub_msg with braces in it)
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- the server -------------------------------------------------------------------------

    @property
    def gateway(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/gateway.do"

    def start(self) -> "FakeAlipay":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the http.server API)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, answer = fake.handle(self.path, body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- one call ---------------------------------------------------------------------------

    def handle(self, path: str, body: bytes) -> tuple[int, bytes]:
        params = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        method = params.get("method", "")
        with self._lock:
            self.requests.append(params)
            fault = self.faults.popleft() if self.faults else ""
        if fault == "500":
            return 500, b"<html>502 Bad Gateway</html>"
        if fault == "hang":
            self._release.wait(10)
            return 200, b"{}"
        key = method.replace(".", "_") + "_response"
        if not verifies(self.app_key, signed_text(params), params.get("sign", "")):
            # the real gateway answers a bad request signature unsigned... or signed; either way
            # it is not a success
            return 200, self.answer(key, {"code": "40002", "msg": "Invalid Arguments",
                                          "sub_code": "isv.invalid-signature",
                                          "sub_msg": "验签出错"}, fault)
        if params.get("app_id") != self.app_id:
            return 200, self.answer(key, {"code": "40002", "msg": "Invalid Arguments",
                                          "sub_code": "isv.invalid-app-id",
                                          "sub_msg": "无效的AppID参数"}, fault)
        biz = json.loads(params.get("biz_content") or "{}")
        handler = {
            "alipay.trade.query": self._query,
            "alipay.trade.close": self._close,
            "alipay.trade.refund": self._refund,
            "alipay.trade.fastpay.refund.query": self._refund_query,
        }.get(method)
        if handler is None:
            return 200, self.answer("error_response", {"code": "40002",
                                                       "sub_code": "isv.invalid-method"}, fault)
        if fault == "refund_not_visible":
            biz["out_request_no"] = ""  # the refund query does not see the refund (yet)
        with self._lock:
            result = handler(biz)
        return 200, self.answer(key, result, fault)

    def answer(self, key: str, result: dict, fault: str = "") -> bytes:
        """Alipay's answer: the response object, then `sign` over that object's exact text.
        Written with \\u escapes, a space after each colon and keys in Alipay's order, so a
        client that re-serialises the object instead of cutting it out cannot verify it."""
        raw = json.dumps({**result, **self.extra}, ensure_ascii=True, separators=(",", ": "))
        signature = sign(self.alipay_key, raw)
        if fault == "bad_sign":
            signature = sign(self.app_key, raw)  # someone else's key
        if fault == "no_sign":
            return f'{{"{key}":{raw}}}'.encode()
        if fault == "tampered":
            raw = raw.replace("WAIT_BUYER_PAY", "TRADE_SUCCESS")
        return f'{{"{key}":{raw},"sign":"{signature}"}}'.encode()

    @staticmethod
    def _failed(sub_code: str, sub_msg: str) -> dict:
        return {"code": "40004", "msg": "Business Failed", "sub_code": sub_code,
                "sub_msg": sub_msg}

    def _query(self, biz: dict) -> dict:
        trade = self.trades.get(biz.get("out_trade_no", ""))
        if trade is None:
            return self._failed("ACQ.TRADE_NOT_EXIST", "交易不存在")
        answer = {"code": "10000", "msg": "Success", "trade_no": trade.trade_no,
                  "out_trade_no": trade.out_trade_no, "trade_status": trade.status,
                  "total_amount": f"{trade.total_amount:.2f}",
                  "buyer_logon_id": "bu***@example.com"}
        if trade.gmt_payment:
            answer["send_pay_date"] = trade.gmt_payment
        return answer

    def _close(self, biz: dict) -> dict:
        trade = self.trades.get(biz.get("out_trade_no", ""))
        if trade is None:
            return self._failed("ACQ.TRADE_NOT_EXIST", "交易不存在")
        if trade.status != "WAIT_BUYER_PAY":
            return self._failed("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        trade.status = "TRADE_CLOSED"
        return {"code": "10000", "msg": "Success", "trade_no": trade.trade_no,
                "out_trade_no": trade.out_trade_no}

    def _refund(self, biz: dict) -> dict:
        trade = self.trades.get(biz.get("out_trade_no", ""))
        if trade is None:
            return self._failed("ACQ.TRADE_NOT_EXIST", "交易不存在")
        if trade.status not in ("TRADE_SUCCESS", "TRADE_CLOSED") or not trade.gmt_payment:
            return self._failed("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        request_no = biz.get("out_request_no") or trade.out_trade_no
        amount = Decimal(biz["refund_amount"])
        done = {"code": "10000", "msg": "Success", "trade_no": trade.trade_no,
                "out_trade_no": trade.out_trade_no, "buyer_logon_id": "bu***@example.com",
                "refund_fee": f"{trade.refunded:.2f}"}
        if request_no in trade.refunds:
            # asked again: refunded once, no money moves now
            return {**done, "fund_change": "N"}
        if trade.refunded + amount > trade.total_amount:
            return self._failed("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
        trade.refunds[request_no] = amount
        trade.refunded += amount
        if trade.refunded == trade.total_amount:
            trade.status = "TRADE_CLOSED"
        return {**done, "fund_change": "Y", "refund_fee": f"{trade.refunded:.2f}",
                "gmt_refund_pay": now_text()}

    def _refund_query(self, biz: dict) -> dict:
        trade = self.trades.get(biz.get("out_trade_no", ""))
        if trade is None:
            return self._failed("ACQ.TRADE_NOT_EXIST", "交易不存在")
        request_no = biz.get("out_request_no", "")
        answer = {"code": "10000", "msg": "Success", "trade_no": trade.trade_no,
                  "out_trade_no": trade.out_trade_no}
        if request_no in trade.refunds:
            answer.update(out_request_no=request_no, refund_status="REFUND_SUCCESS",
                          refund_amount=f"{trade.refunds[request_no]:.2f}",
                          total_amount=f"{trade.total_amount:.2f}")
        return answer

    # --- what a buyer does ------------------------------------------------------------------

    def signed_params(self, action: dict) -> dict[str, str]:
        """The parameters our provider handed the app, checked as the cashier checks them."""
        text = action["url"].split("?", 1)[1] if action["type"] == "redirect" \
            else action["order_string"]
        params = dict(parse_qsl(text, keep_blank_values=True))
        if not verifies(self.app_key, signed_text(params), params.get("sign", "")):
            raise AssertionError("the cashier refuses the payment: bad app signature")
        return params

    def open_cashier(self, action: dict) -> FakeTrade:
        """The buyer opens the wap link or the app hands over the order string: the trade is
        created, waiting for the buyer to pay."""
        params = self.signed_params(action)
        biz = json.loads(params["biz_content"])
        with self._lock:
            trade = self.trades.get(biz["out_trade_no"])
            if trade is None:
                trade = FakeTrade(
                    out_trade_no=biz["out_trade_no"], total_amount=Decimal(biz["total_amount"]),
                    subject=biz["subject"], product_code=biz["product_code"],
                    time_expire=biz.get("time_expire", ""),
                    notify_url=params.get("notify_url", ""),
                    trade_no=f"2026120122001{next(self._numbers):015d}",
                )
                self.trades[trade.out_trade_no] = trade
        return trade

    def pay(self, action_or_trade: dict | str, *, amount: Decimal | None = None) -> dict:
        """The buyer pays (opening the cashier first when given an action); the notification
        Alipay then posts, signed. `amount` fakes a trade whose total differs from ours."""
        if isinstance(action_or_trade, dict):
            trade = self.open_cashier(action_or_trade)
        else:
            trade = self.trades[action_or_trade]
        with self._lock:
            if amount is not None:
                trade.total_amount = amount
            trade.status = "TRADE_SUCCESS"
            trade.gmt_payment = now_text()
        return self.trade_notification(trade.out_trade_no)

    # --- notifications ------------------------------------------------------------------------

    def trade_notification(self, out_trade_no: str, /, **overrides: str) -> dict[str, str]:
        trade = self.trades[out_trade_no]
        params = {
            "gmt_create": trade.gmt_payment or now_text(),
            "charset": "utf-8",
            "seller_email": "farm@example.com",
            "subject": trade.subject,
            "buyer_id": "2088102177000001",
            "invoice_amount": f"{trade.total_amount:.2f}",
            "notify_id": f"2026120100222{next(self._numbers):019d}",
            "fund_bill_list": json.dumps([{"amount": f"{trade.total_amount:.2f}",
                                          "fundChannel": "ALIPAYACCOUNT"}],
                                         separators=(",", ":")),
            "notify_type": "trade_status_sync",
            "trade_status": trade.status,
            "receipt_amount": f"{trade.total_amount:.2f}",
            "app_id": self.app_id,
            "buyer_pay_amount": f"{trade.total_amount:.2f}",
            "seller_id": SELLER_ID,
            "gmt_payment": trade.gmt_payment,
            "notify_time": now_text(),
            "version": "1.0",
            "out_trade_no": trade.out_trade_no,
            "total_amount": f"{trade.total_amount:.2f}",
            "trade_no": trade.trade_no,
            "auth_app_id": self.app_id,
            "point_amount": "0.00",
        }
        params.update(overrides)
        return self.signed_notification(params)

    def refund_notification(self, out_trade_no: str, out_request_no: str) -> dict[str, str]:
        """What Alipay posts after a refund: the trade's notice with `out_biz_no` (the refund
        request's number), `refund_fee` (the trade's total refunded so far) and `gmt_refund`;
        `trade_status` stays TRADE_SUCCESS after a partial refund, TRADE_CLOSED after a whole
        one."""
        trade = self.trades[out_trade_no]
        return self.trade_notification(
            out_trade_no, out_biz_no=out_request_no, refund_fee=f"{trade.refunded:.2f}",
            gmt_refund=now_text() + ".123", trade_status=trade.status,
        )

    def signed_notification(self, params: dict[str, str], *, key=None) -> dict[str, str]:
        params = {k: v for k, v in params.items() if k not in ("sign", "sign_type")}
        signature = sign(key or self.alipay_key, signed_text(params))
        return {**params, "sign": signature, "sign_type": "RSA2"}

    @staticmethod
    def form(params: dict[str, str]) -> str:
        return urlencode(params)

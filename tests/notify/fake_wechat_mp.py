"""A fake WeChat mini-program server API: access tokens (`/cgi-bin/token`, which expire) and
subscribe messages (`/cgi-bin/message/subscribe/send`). Like WeChat, it keeps the consents
itself (`grant(openid, template_id, n)`): a message with none left is 43101, whatever we
counted. `expire_tokens()` makes every token issued so far answer 40001. Values longer than
their key's kind holds are 47003; an unknown template is 40037."""

import json
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.notify.fake_platform import FakePlatform

LIMITS = {"thing": 20, "character_string": 32, "phrase": 5, "time": 32, "amount": 32}


class FakeWeChatMiniApp(FakePlatform):
    appid = "wx8a1f3c5e7b9d0246"
    secret = "3f1b5c7d9e2a4c6e8f0a1b3c5d7e9f20"

    def __init__(self):
        super().__init__()
        self.expires_in = 7200
        self.tokens: set[str] = set()
        self.token_fetches = 0
        self.templates: set[str] = set()
        self.consents: dict[tuple[str, str], int] = {}
        self.messages: list[dict] = []
        self.errcode: int | None = None  # answer every send with this errcode (e.g. -1)

    def settings(self) -> dict:
        return {"WECHAT_API_BASE": self.url, "WECHAT_MINIAPP_APPID": self.appid,
                "WECHAT_MINIAPP_SECRET": self.secret, "WECHAT_MESSAGE_PROVIDER": "miniapp"}

    def grant(self, openid: str, template_id: str, count: int = 1) -> None:
        with self.lock:
            self.templates.add(template_id)
            key = (openid, template_id)
            self.consents[key] = self.consents.get(key, 0) + count

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def handle(self, method, target, headers, body):
        parts = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if method == "GET" and parts.path == "/cgi-bin/token":
            if query.get("grant_type") != "client_credential" or query.get(
                    "appid") != self.appid or query.get("secret") != self.secret:
                return 200, {"errcode": 40013, "errmsg": "invalid appid"}
            self.token_fetches += 1
            token = secrets.token_urlsafe(24)
            self.tokens.add(token)
            return 200, {"access_token": token, "expires_in": self.expires_in}
        if method == "POST" and parts.path == "/cgi-bin/message/subscribe/send":
            if query.get("access_token") not in self.tokens:
                return 200, {"errcode": 40001, "errmsg": "invalid credential, access_token is "
                                                          "invalid or not latest"}
            if self.errcode is not None:
                return 200, {"errcode": self.errcode, "errmsg": "system busy"}
            message = json.loads(body)
            if message.get("template_id") not in self.templates:
                return 200, {"errcode": 40037, "errmsg": "invalid template_id"}
            for key, item in (message.get("data") or {}).items():
                limit = LIMITS.get(key.rstrip("0123456789"), 20)
                if len(item.get("value", "")) > limit:
                    return 200, {"errcode": 47003, "errmsg": f"argument invalid! {key}"}
            consent = (message.get("touser"), message.get("template_id"))
            if self.consents.get(consent, 0) <= 0:
                return 200, {"errcode": 43101, "errmsg": "user refuse to accept the msg"}
            self.consents[consent] -= 1
            self.messages.append(message)
            return 200, {"errcode": 0, "errmsg": "ok", "msgid": secrets.randbelow(10**12)}
        return 404, {"errcode": 404, "errmsg": "no such path"}


@pytest.fixture
def wechat_mp(settings):
    """A running fake mini-program API, our settings pointed at it, no token cached."""
    from notify.providers.wechat import forget_tokens

    platform = FakeWeChatMiniApp().start()
    for name, value in platform.settings().items():
        setattr(settings, name, value)
    settings.NOTIFY_HTTP_TIMEOUT = 1.0
    forget_tokens()
    yield platform
    platform.stop()
    forget_tokens()

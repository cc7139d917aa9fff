"""WeChat mini-program subscribe messages (订阅消息): `POST /cgi-bin/message/subscribe/send`.

Protocol (developers.weixin.qq.com, "subscribeMessage.send", "getAccessToken"):

- An access token from `GET /cgi-bin/token?grant_type=client_credential&appid=..&secret=..`
  (`{"access_token", "expires_in": 7200}`), kept in this process until a little before it
  expires: every worker process fetches its own and WeChat allows several at once.
- A message: `{"touser": openid, "template_id", "page", "miniprogram_state", "lang": "zh_CN",
  "data": {"thing1": {"value": "..."}, ...}}` with `?access_token=` in the URL. Each value is cut
  to what its kind of key holds (`thing` 20 characters, `character_string` 32, `phrase` 5, ...):
  WeChat refuses the whole message (47003) otherwise.
- Answers: `{"errcode": 0, "msgid"}`. 43101: the person has no consent left (one consent, one
  message; no API says how many are left). 40001 / 42001 / 40014: the token expired or was
  replaced (another process fetched one): fetched again and the message sent once more, once.
  40003 (not our openid), 40037 (no such template), 47003 (words the template refuses), 41030
  (no such page): refused for good. -1 (busy), 45009 (over the daily quota) and any other
  errcode: tried again later.
"""

import json
import threading
import time

from django.conf import settings

from notify import http
from notify.providers.base import ConsentGone, Message, Provider, ProviderUnavailable, Refused

TOKEN_EXPIRED = {40001, 42001, 40014}
REFUSED = {
    40003: "not an openid of this mini-program",
    40037: "WeChat does not know the template",
    47003: "WeChat refuses the template's words",
    41030: "WeChat does not know the page",
}
# characters a value of each kind of template key holds
VALUE_LIMITS = {
    "thing": 20, "character_string": 32, "phrase": 5, "name": 10, "number": 32, "letter": 32,
    "symbol": 5, "phone_number": 17, "car_number": 8, "amount": 32, "time": 32, "date": 32,
}
# Refetch this many seconds before WeChat says the token expires.
TOKEN_MARGIN = 300

_tokens: dict[tuple[str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def forget_tokens() -> None:
    """Drop this process's cached access tokens (tests; a changed secret)."""
    with _tokens_lock:
        _tokens.clear()


def fit(key: str, value: str) -> str:
    kind = key.rstrip("0123456789")
    limit = VALUE_LIMITS.get(kind, 20)
    value = " ".join(str(value).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


class WeChatMiniApp(Provider):
    name = "miniapp"

    def problems(self) -> list[str]:
        missing = [name for name in ("WECHAT_MINIAPP_APPID", "WECHAT_MINIAPP_SECRET")
                   if not getattr(settings, name)]
        return [f"{', '.join(missing)} not set"] if missing else []

    def _key(self) -> tuple[str, str]:
        return (settings.WECHAT_API_BASE, settings.WECHAT_MINIAPP_APPID)

    def access_token(self, *, fresh: bool = False) -> str:
        key = self._key()
        with _tokens_lock:
            cached = _tokens.get(key)
            if cached and not fresh and cached[1] > time.monotonic():
                return cached[0]
            answer = http.call("GET", f"{settings.WECHAT_API_BASE}/cgi-bin/token", params={
                "grant_type": "client_credential", "appid": settings.WECHAT_MINIAPP_APPID,
                "secret": settings.WECHAT_MINIAPP_SECRET})
            data = http.json_of(answer, "WeChat token")
            token = data.get("access_token")
            if not token or not isinstance(token, str):
                raise ProviderUnavailable(
                    f"WeChat gave no access token: {data.get('errcode')} {data.get('errmsg')}")
            lifetime = data.get("expires_in") if isinstance(data.get("expires_in"), int) else 0
            _tokens[key] = (token, time.monotonic() + max(0, lifetime - TOKEN_MARGIN))
            return token

    def _post(self, token: str, payload: bytes) -> dict:
        answer = http.call(
            "POST", f"{settings.WECHAT_API_BASE}/cgi-bin/message/subscribe/send",
            params={"access_token": token}, content=payload,
            headers={"Content-Type": "application/json; charset=utf-8"})
        return http.json_of(answer, "WeChat subscribe/send")

    def send(self, message: Message) -> str:
        payload = json.dumps({
            "touser": message.to,
            "template_id": message.template_id,
            "page": message.page,
            "miniprogram_state": settings.WECHAT_MINIAPP_STATE,
            "lang": "zh_CN",
            "data": {key: {"value": fit(key, value)} for key, value in message.params},
        }, ensure_ascii=False).encode()
        data = self._post(self.access_token(), payload)
        if data.get("errcode") in TOKEN_EXPIRED:
            data = self._post(self.access_token(fresh=True), payload)  # once
        code = data.get("errcode", 0)
        if code == 0:
            return str(data.get("msgid", ""))
        if code == 43101:
            raise ConsentGone("no consent left (43101)", code="43101")
        if code in REFUSED:
            raise Refused(f"{REFUSED[code]} ({code})", code=str(code))
        raise ProviderUnavailable(f"WeChat errcode {code}: {data.get('errmsg', '')}"[:300])

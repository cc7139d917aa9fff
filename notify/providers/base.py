"""What every channel's provider offers, in provider-neutral words.

A provider speaks one platform's protocol (signatures, field names, error codes) and nothing
else: it never reads or writes our models. `notify.services` decides what an answer means for a
delivery. Outgoing calls go through `notify.http.call`: a network failure, a timeout or a 5xx
raise `ProviderUnavailable` (tried again later, with back-off); a platform that understood us
and said no for this message raises `Refused` (the delivery is `failed` with the reason, never
retried); `ConsentGone` is WeChat's "no consent left" (43101).
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field


class ProviderUnavailable(Exception):
    """The platform could not be reached, timed out, answered 5xx or something we cannot
    read, or refused for a reason that passes (rate limits, an expired token twice over).
    Nothing is known to have been sent: try again later."""


class Refused(Exception):
    """The platform refused this message for good: a number it will not send to, a template
    or its words it does not accept. `reason` is short and says which (it is shown)."""

    def __init__(self, reason: str, *, code: str = ""):
        super().__init__(reason)
        self.reason = reason[:300]
        self.code = code


class ConsentGone(Refused):
    """WeChat: the person has no consent left for this template (errcode 43101)."""


@dataclass(frozen=True)
class Message:
    """One message to one recipient. `params` are the template's variables in its order
    (Aliyun names them, Tencent Cloud numbers them, WeChat keys them `thing1`, ...); `text` is
    the whole message as a person would read it (the console writes it, e-mail sends it)."""

    to: str
    title: str
    text: str
    template_id: str = ""
    params: list[tuple[str, str]] = field(default_factory=list)
    page: str = ""


class Provider(ABC):
    name: str

    @abstractmethod
    def problems(self) -> list[str]:
        """What is wrong with this provider's configuration (empty: ready). Reads settings
        only, never the network."""

    @abstractmethod
    def send(self, message: Message) -> str:
        """Send; the platform's id of the message (or "")."""

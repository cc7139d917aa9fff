"""Development only (`make run`, DEBUG on, no provider configured): each message is one line
of the server's log with its recipient and its whole text, a sign-in code included, so the
embedded default works end to end. Settings refuse it with DEBUG off."""

import logging

from notify.providers.base import Message, Provider

logger = logging.getLogger("notify.console")


class Console(Provider):
    def __init__(self, channel: str):
        self.name = "console"
        self.channel = channel

    def problems(self) -> list[str]:
        return []

    def send(self, message: Message) -> str:
        text = " ".join(message.text.split())
        logger.warning("%s to %s: 【%s】%s", self.channel.upper(), message.to, message.title,
                       text)
        return ""

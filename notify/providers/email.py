"""E-mail through Django's mail API (EMAIL_BACKEND; the console backend by default)."""

import smtplib

from django.core.mail import send_mail

from notify.providers.base import Message, Provider, ProviderUnavailable, Refused


class DjangoEmail(Provider):
    name = "email"

    def problems(self) -> list[str]:
        return []

    def send(self, message: Message) -> str:
        try:
            send_mail(message.title, message.text, None, [message.to])
        except smtplib.SMTPRecipientsRefused as exc:
            raise Refused("the mail server refuses the address") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ProviderUnavailable(f"mail: {type(exc).__name__}: {exc}"[:300]) from exc
        return ""

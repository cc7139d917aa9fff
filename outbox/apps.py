from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Outbox (side effects after commit)"

    def ready(self) -> None:
        from outbox import signals

        signals.connect()

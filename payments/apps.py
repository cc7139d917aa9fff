from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments, refunds and providers"

    def ready(self) -> None:
        from payments import checks  # noqa: F401  (checks register themselves)

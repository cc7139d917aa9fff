from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments, refunds and providers"

    def ready(self) -> None:
        from orders.signals import order_cancelled
        from payments import checks, receivers  # noqa: F401  (checks register themselves)

        order_cancelled.connect(receivers.on_order_cancelled, dispatch_uid="payments.refunds")

from django.apps import AppConfig


class PromotionConfig(AppConfig):
    name = "promotion"
    verbose_name = "Promotion"

    def ready(self) -> None:
        from orders.signals import order_cancelled, order_placed
        from promotion import receivers

        order_placed.connect(receivers.on_order_placed, dispatch_uid="promotion.commission")
        order_cancelled.connect(
            receivers.on_order_cancelled, dispatch_uid="promotion.commission_cancel"
        )

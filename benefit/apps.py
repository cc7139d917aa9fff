from django.apps import AppConfig


class BenefitConfig(AppConfig):
    name = "benefit"
    verbose_name = "Public benefit (公益)"

    def ready(self) -> None:
        from benefit import checks, receivers  # noqa: F401 (registers the system check)
        from books.signals import transaction_posted
        from orders.signals import order_placed

        # after promotion's receiver (INSTALLED_APPS order): the commission exists by then
        order_placed.connect(receivers.on_order_placed, dispatch_uid="benefit.pledge_snapshot")
        transaction_posted.connect(receivers.on_transaction_posted,
                                   dispatch_uid="benefit.public_ledger")

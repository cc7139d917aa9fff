"""What benefit does when the orders app and the books speak (inside their transaction)."""

from benefit import ledger, services


def on_order_placed(sender, order, lines, **kwargs) -> None:
    services.pledges_snapshot(order=order, lines=lines)


def on_transaction_posted(sender, record, lines, **kwargs) -> None:
    ledger.record_posting(record, lines)

"""What the orders app tells other apps, inside the order's own transaction.

Receivers run before the transaction commits, so a receiver that raises a DomainError rolls
the whole order back; effects outside the database belong in
`transaction.on_commit`. Connected by promotion (attribution and commissions).
"""

from django.dispatch import Signal

# order_placed.send(sender=Order, order=order): the order, its lines and shipments exist.
order_placed = Signal()
# order_cancelled.send(sender=Order, order=order): by the buyer, by expiry or by staff.
order_cancelled = Signal()

"""What the orders app tells other apps, inside the order's own transaction.

Receivers run before the transaction commits, so a receiver that raises a DomainError rolls
the whole order back; effects outside the database belong in
`transaction.on_commit`. Connected by promotion (attribution and commissions).
"""

from django.dispatch import Signal

# order_placed.send(sender=Order, order=order, lines=lines, promo_visit=visit): the order, its
# lines and shipments exist; `lines` are the OrderLine rows just written, each with its listing
# as the order locked it (producer and pledge read with it), so a receiver need not read them.
order_placed = Signal()
# order_cancelled.send(sender=Order, order=order): by the buyer, by expiry or by staff.
order_cancelled = Signal()

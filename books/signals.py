"""What the books tell other apps, inside the posting's own transaction.

`transaction_posted.send(sender=LedgerTransaction, record=..., lines=[Line, ...])`: a
transaction was written (never for a key posted before). A receiver that raises rolls the
posting, and the change that caused it, back. Connected by benefit (its public ledger)."""

from django.dispatch import Signal

transaction_posted = Signal()

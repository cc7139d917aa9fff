"""Posting to the ledger: the one way entries are written.

`post()` runs inside the caller's transaction (the state change that causes the posting), so
the state and its money commit or roll back together. It takes the ledger's lock (the
`LedgerHead` row), which orders every posting: entries get consecutive `seq` numbers and each
carries the hash of the entry before it. A `key` already posted is a no-op, so the same source
event (a payment notification delivered twice, a task retried) posts exactly once; the unique
`LedgerTransaction.key` is the backstop.

The caller should post last in its transaction (after its own row locks), so that no
transaction waits for the ledger's lock while holding a row another posting needs.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ledger.models import Account, Entry, LedgerHead, LedgerTransaction

GENESIS = "0" * 64
HEAD_ID = 1


class LedgerError(Exception):
    """A posting that would break the books (unbalanced, too few entries): a bug, never a
    user's mistake."""


@dataclass(frozen=True)
class Line:
    account: Account
    kind: str
    amount_fen: int
    shipment_id: int | None = None
    memo: str = ""
    # not kept in the entry: for the public ledger of a project (a pledge's listing)
    listing_id: int | None = None


def entry_hash(entry: Entry, prev_hash: str) -> str:
    """SHA-256 over the entry's fields and the hash of the entry before it."""
    created = entry.created_at.astimezone(UTC).isoformat(timespec="microseconds")
    text = "|".join(str(part) for part in (
        prev_hash, entry.seq, entry.transaction_id, entry.account_id, entry.kind,
        entry.amount_fen, entry.order_id or "", entry.shipment_id or "", entry.memo, created,
    ))
    return hashlib.sha256(text.encode()).hexdigest()


def lock() -> LedgerHead:
    """Take the ledger's lock for the rest of the transaction (a no-op on SQLite, where a
    write transaction already has the database to itself)."""
    assert transaction.get_connection().in_atomic_block, "the ledger is locked in a transaction"
    head = LedgerHead.objects.select_for_update().filter(pk=HEAD_ID).first()
    if head is None:  # a fresh database (or one the tests flushed)
        LedgerHead.objects.bulk_create([LedgerHead(pk=HEAD_ID)], ignore_conflicts=True)
        head = LedgerHead.objects.select_for_update().get(pk=HEAD_ID)
    return head


def account(kind: str, holder_id: int = 0, bucket: str = "", name: str = "") -> Account:
    """The account of `holder_id` of `kind` in `bucket`, created on first use."""
    found, _ = Account.objects.get_or_create(
        kind=kind, holder_id=holder_id, bucket=bucket, defaults={"name": name[:120]},
    )
    return found


def clearing() -> Account:
    """The money the payment provider holds for us."""
    return account(Account.Kind.PROVIDER_CLEARING, name="支付渠道待清算")


def platform_fees() -> Account:
    return account(Account.Kind.PLATFORM_FEES, name="平台服务费")


def in_transit() -> Account:
    """Payouts created and not yet confirmed paid."""
    return account(Account.Kind.PAYOUTS_IN_TRANSIT, name="打款中")


def refunds_payable() -> Account:
    """What cancellations took back and the provider has not yet given back to the buyer."""
    return account(Account.Kind.REFUNDS_PAYABLE, name="待退款")


def posted(key: str) -> bool:
    return LedgerTransaction.objects.filter(key=key).exists()


def post(*, key: str, kind: str, lines: list[Line], order_id: int | None = None,
         memo: str = "") -> LedgerTransaction | None:
    """Write one balanced transaction; None if `key` was posted before or nothing moves."""
    lines = [line for line in lines if line.amount_fen]
    if not lines:
        return None
    if sum(line.amount_fen for line in lines) != 0:
        raise LedgerError(f"{key}: entries add up to {sum(ln.amount_fen for ln in lines)} fen")
    if len(lines) < 2:
        raise LedgerError(f"{key}: a transaction needs two entries or more")
    head = lock()
    if posted(key):
        return None
    now = timezone.now()
    seq, prev = head.last_seq, head.last_hash
    entries = []
    for line in lines:
        seq += 1
        entry = Entry(
            transaction_id=key, seq=seq, account=line.account, kind=line.kind,
            amount_fen=line.amount_fen, order_id=order_id, shipment_id=line.shipment_id,
            memo=(line.memo or memo)[:255], created_at=now, prev_hash=prev,
        )
        entry.hash = prev = entry_hash(entry, prev)
        entries.append(entry)
    # entries first, the transaction row last: the database checks the sum when that row
    # arrives (`ledger.triggers`)
    Entry.objects.bulk_create(entries)
    record = LedgerTransaction.objects.create(
        key=key, kind=kind, order_id=order_id, memo=memo[:255], created_at=now
    )
    deltas: dict[int, int] = defaultdict(int)
    for line in lines:
        deltas[line.account.pk] += line.amount_fen
    for account_id in sorted(deltas):
        if deltas[account_id]:
            Account.objects.filter(pk=account_id).update(
                balance_fen=F("balance_fen") + deltas[account_id]
            )
    LedgerHead.objects.filter(pk=head.pk).update(last_seq=seq, last_hash=prev)
    return record

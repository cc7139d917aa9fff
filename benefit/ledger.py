"""The public ledger (API.md "Public benefit"): per project, append-only entries chained by
SHA-256, that anyone can recompute from `GET /benefit/projects/{id}/ledger` alone.

    entry_hash = sha256(prev_hash + "\\n" + json.dumps(entry, sort_keys=True,
                                                      separators=(",", ":"), ensure_ascii=False))

where `entry` is the entry exactly as served minus `prev_hash` and `entry_hash`; the first
entry's `prev_hash` is 64 zeros. The served entry is built by `served()`, the one function the
API, the hash and `benefit_verify` share.

Entries are derived from the books' postings on the projects' accounts (`record_posting`,
called by whoever posts, inside the posting's transaction, under the ledger's lock, so each
project's entries are numbered in the order they commit). Kinds and signs:

- `pledge` (+): a paid order's pledge, pending until the return window passes;
- `void` (-): a refund or cancellation taking back pending pledge money;
- `confirm` (+): pending pledge money confirmed (the return window passed); a refund after
  confirmation is a negative `confirm`, never an edit of the earlier entries;
- `disbursement` (-): money staff passed on to the charity.

So pledged (still pending) = pledges + voids - positive confirms; confirmed = the sum of
confirms; disbursed = - the sum of disbursements; balance = confirmed - disbursed.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime

from django.conf import settings

from benefit.models import LinePledge, PublicEntry
from ledger.amounts import yuan
from ledger.models import Account, LedgerTransaction
from marketplace.schemas import CURRENCY
from orders.models import Order

GENESIS = "0" * 64
Kind = PublicEntry.Kind
TxnKind = LedgerTransaction.Kind


def order_ref(number: str) -> str:
    """An order as the public ledger names it: HMAC-SHA256 of its number under
    BENEFIT_ORDER_REF_KEY (hex), so entries of one order can be told apart and a buyer who
    knows the number can find theirs, and nobody else learns anything."""
    return hmac.new(settings.BENEFIT_ORDER_REF_KEY.encode(), number.encode(),
                    hashlib.sha256).hexdigest()


def public_time(moment: datetime) -> datetime:
    """When an entry says it happened: the hour of its posting (UTC), not the moment. The exact
    time of a payment beside its amount would let anyone line entries up with a farm's orders
    (hardening round three, item 9); the hour still orders them for a reader, and `seq` and the
    hashes keep the chain. Entries written before this kept their exact time: their hashes are
    over it."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def time_text(moment: datetime) -> str:
    """The entry's time as served and hashed: UTC, microseconds, `+00:00`."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def served(entry: PublicEntry) -> dict:
    """The entry as `GET /benefit/projects/{id}/ledger` serves it."""
    return {
        "seq": entry.seq, "created_at": time_text(entry.created_at), "kind": entry.kind,
        "amount": str(yuan(entry.amount_fen)), "listing_id": entry.listing_id,
        "order_ref": entry.order_ref, "currency": CURRENCY,
        "prev_hash": entry.prev_hash, "entry_hash": entry.entry_hash,
    }


def chain_hash(prev_hash: str, entry: dict) -> str:
    body = {k: v for k, v in entry.items() if k not in ("prev_hash", "entry_hash")}
    text = prev_hash + "\n" + json.dumps(body, sort_keys=True, separators=(",", ":"),
                                         ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _kind(txn_kind: str, bucket: str, amount: int) -> str | None:
    if bucket == Account.Bucket.PENDING:
        if txn_kind == TxnKind.RELEASE:
            return None  # the other half of a confirm: its available line says it
        return Kind.PLEDGE if amount > 0 else Kind.VOID
    if txn_kind in (TxnKind.PAYOUT_CREATED, TxnKind.PAYOUT_PAID) and amount < 0:
        return Kind.DISBURSEMENT
    return Kind.CONFIRM


def _listing_of(order_id: int | None, project_id: int, shipment_id: int | None,
                cache: dict) -> int | None:
    """The listing a void or confirm is about: the one listing of that parcel pledging to the
    project, if there is exactly one."""
    if order_id is None or shipment_id is None:
        return None
    if order_id not in cache:
        cache[order_id] = list(LinePledge.objects.filter(order_id=order_id).values_list(
            "project_id", "line__shipment_id", "line__listing_id"))
    found = {lst for p, s, lst in cache[order_id] if p == project_id and s == shipment_id}
    return found.pop() if len(found) == 1 else None


def record_posting(record: LedgerTransaction, lines: list) -> list[PublicEntry]:
    """The public entries of one books posting (in its transaction, under the ledger's lock).
    `source` is the posting's key and the entry's place among them: unique, so the same
    posting can never write its entries twice."""
    ours = [line for line in lines if line.account.kind == Account.Kind.BENEFIT_PROJECT]
    if not ours:
        return []
    order_id = record.order_id
    ref = None
    if order_id is not None:
        number = Order.objects.filter(pk=order_id).values_list("number", flat=True).first()
        ref = order_ref(number) if number else None
    project_ids = sorted({line.account.holder_id for line in ours})
    heads = {}
    for project_id in project_ids:
        last = (PublicEntry.objects.filter(project_id=project_id).order_by("-seq")
                .values_list("seq", "entry_hash").first())
        heads[project_id] = last or (0, GENESIS)
    cache: dict = {}
    entries = []
    for line in ours:
        kind = _kind(record.kind, line.account.bucket, line.amount_fen)
        if kind is None:
            continue
        project_id = line.account.holder_id
        seq, prev = heads[project_id]
        entry = PublicEntry(
            project_id=project_id, seq=seq + 1, created_at=public_time(record.created_at),
            kind=kind,
            amount_fen=line.amount_fen,
            listing_id=line.listing_id or _listing_of(order_id, project_id, line.shipment_id,
                                                      cache),
            order_ref=ref, order_id=order_id, source=f"{record.key}:{len(entries)}",
            prev_hash=prev,
        )
        entry.entry_hash = chain_hash(prev, served(entry))
        heads[project_id] = (entry.seq, entry.entry_hash)
        entries.append(entry)
    return PublicEntry.objects.bulk_create(entries)


def totals_of(amounts: list[tuple[str, int]]) -> dict[str, int]:
    """pledged, confirmed, disbursed and balance (fen) from (kind, amount) pairs of a chain."""
    pledged = confirmed = disbursed = 0
    for kind, amount in amounts:
        if kind in (Kind.PLEDGE, Kind.VOID):
            pledged += amount
        elif kind == Kind.CONFIRM:
            confirmed += amount
            if amount > 0:
                pledged -= amount
        elif kind == Kind.DISBURSEMENT:
            disbursed -= amount
    return {"pledged": pledged, "confirmed": confirmed, "disbursed": disbursed,
            "balance": confirmed - disbursed}

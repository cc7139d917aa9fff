"""Recompute the ledger from their entries: the hash chain, each transaction's sum, each
account's balance, the sum of all accounts. Streams the entries in `seq` order (constant
memory), so it runs on a ledger of any size."""

from collections import defaultdict
from dataclasses import dataclass, field

from ledger.models import Account, Entry, LedgerHead, LedgerTransaction
from ledger.posting import GENESIS, entry_hash


@dataclass
class Report:
    entries: int = 0
    transactions: int = 0
    accounts: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(*, chunk_size: int = 2000) -> Report:
    report = Report()
    prev_hash, expected_seq = GENESIS, 1
    balances: dict[int, int] = defaultdict(int)
    # a transaction's entries are consecutive (posted at once under the ledger's lock)
    current, total, count, keys = None, 0, 0, 0
    entries = Entry.objects.order_by("seq").only(
        "seq", "transaction_id", "account_id", "kind", "amount_fen", "order_id", "shipment_id",
        "memo", "created_at", "prev_hash", "hash",
    )
    for entry in entries.iterator(chunk_size=chunk_size):
        report.entries += 1
        if report.ok:
            # the first break names the entry; what follows it cannot be trusted to name more
            if entry.seq != expected_seq:
                report.problems.append(
                    f"entry #{entry.seq}: expected #{expected_seq} next (an entry is missing)")
            elif entry.prev_hash != prev_hash:
                report.problems.append(
                    f"entry #{entry.seq}: prev_hash does not match the entry before it")
            elif entry_hash(entry, prev_hash) != entry.hash:
                report.problems.append(
                    f"entry #{entry.seq} (transaction {entry.transaction_id}): its fields do not "
                    f"match its hash; it was changed after it was written")
        prev_hash, expected_seq = entry.hash, entry.seq + 1
        balances[entry.account_id] += entry.amount_fen
        if entry.transaction_id != current:
            _check_transaction(report, current, total, count)
            current, total, count, keys = entry.transaction_id, 0, 0, keys + 1
        total += entry.amount_fen
        count += 1
    _check_transaction(report, current, total, count)
    head = LedgerHead.objects.filter(pk=1).first()
    if head is not None and report.entries and (head.last_seq, head.last_hash) != (
            expected_seq - 1, prev_hash):
        report.problems.append(
            f"the ledger's head is at #{head.last_seq}, its entries end at #{expected_seq - 1}")
    report.transactions = LedgerTransaction.objects.count()
    if report.transactions != keys:
        report.problems.append(
            f"{report.transactions} transactions, but entries of {keys}: a transaction's "
            f"entries are missing or split")
    for account in Account.objects.order_by("id"):
        report.accounts += 1
        if account.balance_fen != balances.get(account.pk, 0):
            report.problems.append(
                f"account {account.pk} ({account}): balance {account.balance_fen} fen, its "
                f"entries add up to {balances.get(account.pk, 0)} fen")
    if sum(balances.values()):
        report.problems.append(f"all accounts add up to {sum(balances.values())} fen, not 0")
    return report


def _check_transaction(report: Report, key: str | None, total: int, count: int) -> None:
    if key is not None and (total or count < 2):
        report.problems.append(f"transaction {key}: {count} entries adding up to {total} fen")

"""`manage.py benefit_verify`: every project's public chain recomputed from its rows (seq
numbers without gaps, each `prev_hash` the entry before's hash, each `entry_hash` what the
entry as served hashes to), and its totals held against the books' accounts."""

from dataclasses import dataclass, field

from benefit import ledger
from benefit.models import Disbursement, Project, PublicEntry
from ledger.amounts import fen
from ledger.models import Account


@dataclass
class Report:
    projects: int = 0
    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _chain_problem(project_id: int, report: Report) -> str | None:
    prev, expected_seq = ledger.GENESIS, 1
    amounts = []
    for entry in PublicEntry.objects.filter(project_id=project_id).order_by("seq").iterator():
        report.entries += 1
        name = f"project {project_id} entry #{entry.seq} (id {entry.pk}, {entry.kind})"
        if entry.seq != expected_seq:
            return f"{name}: expected seq {expected_seq} (an entry is missing)"
        if entry.prev_hash != prev:
            return f"{name}: prev_hash does not match the entry before it"
        if ledger.chain_hash(prev, ledger.served(entry)) != entry.entry_hash:
            return f"{name}: entry_hash does not match its content (changed after it was written)"
        prev, expected_seq = entry.entry_hash, expected_seq + 1
        amounts.append((entry.kind, entry.amount_fen))
    totals = ledger.totals_of(amounts)
    balances = dict(Account.objects.filter(kind=Account.Kind.BENEFIT_PROJECT, holder_id=project_id)
                    .values_list("bucket", "balance_fen"))
    disbursed = sum(fen(a) for a in Disbursement.objects.filter(project_id=project_id)
                    .values_list("amount", flat=True))
    books = {"pledged": balances.get(Account.Bucket.PENDING, 0),
             "balance": balances.get(Account.Bucket.AVAILABLE, 0), "disbursed": disbursed}
    for name, value in books.items():
        if totals[name] != value:
            return (f"project {project_id}: the public ledger's {name} ({totals[name]} fen) is "
                    f"not the books' ({value} fen)")
    return None


def verify() -> Report:
    report = Report()
    for project_id in Project.objects.order_by("id").values_list("id", flat=True):
        report.projects += 1
        problem = _chain_problem(project_id, report)
        if problem:
            report.problems.append(problem)
    return report

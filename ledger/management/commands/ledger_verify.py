from django.core.management.base import BaseCommand, CommandError

from ledger.verify import verify


class Command(BaseCommand):
    help = ("Recompute the ledger's hash chain, every transaction's sum and every account's "
            "balance. Exits non-zero and names the first bad entry when anything is off.")

    def handle(self, *args, **options):
        report = verify()
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(problem)
            raise CommandError(f"The ledger does not verify: {report.problems[0]}")
        self.stdout.write(
            f"The ledger verifies: {report.entries} entries in {report.transactions} "
            f"transactions on {report.accounts} accounts; every hash, sum and balance holds."
        )

from django.core.management.base import BaseCommand, CommandError

from benefit.verify import verify


class Command(BaseCommand):
    help = ("Recompute every public-benefit project's hash chain and hold its totals against "
            "the books. Exits non-zero and names the first bad entry when anything is off.")

    def handle(self, *args, **options):
        report = verify()
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(problem)
            raise CommandError(f"The public ledger does not verify: {report.problems[0]}")
        self.stdout.write(f"The public ledger verifies: {report.entries} entries of "
                          f"{report.projects} projects; every hash and total holds.")

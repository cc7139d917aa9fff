"""`python manage.py demo`: the demo marketplace. Idempotent: running it twice changes nothing."""

from importlib import import_module

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from demo.accounts import DemoAccount, ensure_account
from producers.categories import categories_load

# One module per domain, each with `load(*, stdout) -> list[DemoAccount]`, run in this order
# (a later one builds on the earlier ones' data). A new domain adds its module here.
DOMAINS = ["demo.producers", "demo.orders", "demo.promotion", "demo.books", "demo.harvest",
           "demo.benefit", "demo.certificates"]


class Command(BaseCommand):
    help = "Load demo data: regions, categories, a staff account, farms, listings, orders, videos."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true",
            help="Run even when DEBUG is off (the demo accounts have published passwords).",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("The demo has published passwords: run it with DEBUG=1 or --force.")
        call_command("load_regions", no_progress=True, stdout=self.stdout, stderr=self.stderr)
        created = categories_load()
        self.stdout.write(f"Categories: {created} created.")
        accounts: list[DemoAccount] = [
            ensure_account("admin", "shanhuo-admin-2026", display_name="管理员", staff=True)
        ]
        for module in DOMAINS:
            accounts += import_module(module).load(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("\nDemo accounts (username / password / role):"))
        for account in accounts:
            self.stdout.write(f"  {account.username:<16} {account.password:<22} {account.role}")
        self.stdout.write(f"\nAPI docs: {settings.SITE_URL}/api/v1/docs   "
                          f"admin: {settings.SITE_URL}/admin/")

"""A database made while the ledger lived in `books` and Payment in `orders` keeps every row,
its ledger's hash chain and guard, and its staff's permissions once migrated forward: the old
code itself (LEGACY, the last commit before the move) migrates a new database, pays two orders
and cancels one (a refund, a cancellation posting), records a platform's callback and gives a
staff group permissions on payments and on ledger entries; this code migrates that database
with a plain `migrate` and reads it all through the models' new homes."""

import json
from pathlib import Path

from django.conf import settings

from tests.legacy import git_archive, manage

LEGACY = "26a53b3a6c21c74a17b495539db4cfe291cb36ea"

# What the move must keep, read the same way by the old code and the new (each imports the
# models from where they live in its time).
KEPT = """
def kept():
    return {
        "payments": sorted(Payment.objects.values_list("provider_ref", "status", "booked")),
        "callbacks": list(PaymentWebhookEvent.objects.values_list("event_id", flat=True)),
        "refunds": sorted(Refund.objects.values_list("number", "payment__provider_ref")),
        "balances": sorted(Account.objects.values_list("kind", "holder_id", "bucket",
                                                       "balance_fen")),
        "entries": Entry.objects.count(), "transactions": LedgerTransaction.objects.count(),
    }
"""

MAKE_OLD_DATA = KEPT + """
import json
from django.contrib.auth.models import Group, Permission
from books.models import Account, Entry, LedgerTransaction
from checkout.services import order_cancel, order_pay
from orders.models import Payment, PaymentWebhookEvent
from payments.models import Refund
from tests.factories import make_listing, make_order

listing = make_listing(stock=10)
for cancel in (False, True):
    order = make_order(lines=[(listing, 2)])
    order_pay(order_id=order.pk, user=order.buyer, method="sandbox")
    if cancel:
        order_cancel(order_id=order.pk, user=order.buyer)  # a refund, a cancellation posting
PaymentWebhookEvent.objects.create(provider="wechat", event_id="EV-OLD-1",
                                   event_type="TRANSACTION.SUCCESS", payload={"old": True},
                                   outcome="paid")
finance = Group.objects.create(name="finance")
finance.permissions.add(
    Permission.objects.get(codename="view_payment", content_type__app_label="orders"),
    Permission.objects.get(codename="view_entry", content_type__app_label="books"))
print(json.dumps(kept()))
"""

READ_WITH_NEW_CODE = KEPT + """
import json
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from accounts.models import User
from ledger.models import Account, Entry, LedgerTransaction
from ledger.verify import verify
from payments.models import Payment, PaymentWebhookEvent, Refund

executor = MigrationExecutor(connection)
staff = User.objects.create_user("finance_clerk", is_staff=True)
staff.groups.add(Group.objects.get(name="finance"))
try:
    with transaction.atomic():
        Entry.objects.filter(pk=Entry.objects.order_by("seq").first().pk).update(memo="changed")
    guarded = False
except DatabaseError:
    guarded = True
print(json.dumps({**kept(),
    "verifies": verify().problems, "guarded": guarded,
    "may_view": [staff.has_perm("payments.view_payment"), staff.has_perm("ledger.view_entry")],
    "old_content_types": ContentType.objects.filter(
        app_label__in=["orders", "books"],
        model__in=["payment", "paymentwebhookevent", "account", "entry", "ledgertransaction",
                   "ledgerhead"]).count(),
    "left_to_apply": len(executor.migration_plan(executor.loader.graph.leaf_nodes())),
}))
"""


def test_an_old_database_keeps_its_payments_and_ledger(database_env, tmp_path):
    # given: a database migrated and filled by the code from before the move
    legacy = tmp_path / "legacy"
    git_archive(LEGACY, legacy)
    manage(legacy, database_env, "migrate", "--noinput", "-v0")
    before = json.loads(manage(legacy, database_env, "shell", "-v0", "-c", MAKE_OLD_DATA))
    assert len(before["payments"]) == 2 and before["refunds"] and before["entries"] > 4

    # when: this code migrates it forward (no manual step: plain `migrate`)
    here = Path(settings.BASE_DIR)
    manage(here, database_env, "migrate", "--noinput", "-v0")

    # then: every payment, callback, refund, balance and entry is where the new models look;
    # the hash chain still verifies and the database still refuses a change to an entry; the
    # staff group's permissions followed the models; nothing is left to apply
    after = json.loads(manage(here, database_env, "shell", "-v0", "-c", READ_WITH_NEW_CODE))
    for kept in ("payments", "callbacks", "refunds", "balances", "entries", "transactions"):
        assert after[kept] == before[kept], kept
    assert after["verifies"] == [] and after["guarded"]
    assert after["may_view"] == [True, True]
    assert after["old_content_types"] == 0
    assert after["left_to_apply"] == 0

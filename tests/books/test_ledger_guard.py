"""The database guards the ledger itself: entries and transactions cannot be changed or
deleted, an unbalanced transaction cannot be written, and `ledger_verify` notices an entry
altered behind the triggers' back and names it."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ledger import posting, triggers
from ledger.models import Account, Entry, LedgerTransaction
from ledger.posting import Line

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(market):
    return market.buy({0: 4, 1: 3})


def test_an_entry_cannot_be_updated(paid):
    entry = Entry.objects.order_by("seq").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(amount_fen=entry.amount_fen + 100)
    with pytest.raises(IntegrityError), transaction.atomic():
        entry.memo = "改过"
        entry.save()
    entry.refresh_from_db()
    assert entry.memo != "改过"


def test_an_entry_cannot_be_deleted(paid):
    count = Entry.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(pk=Entry.objects.first().pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM books_entry")
    assert Entry.objects.count() == count


def test_a_transaction_cannot_be_updated_or_deleted(paid):
    txn = LedgerTransaction.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerTransaction.objects.filter(pk=txn.pk).update(memo="改过")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM books_ledgertransaction")
    assert LedgerTransaction.objects.filter(pk=txn.pk, memo=txn.memo).exists()


def _entry(key: str, account: Account, amount: int, seq: int) -> Entry:
    return Entry(transaction_id=key, seq=seq, account=account, kind="adjustment",
                 amount_fen=amount, created_at=timezone.now(), prev_hash="x", hash="x")


def test_the_database_refuses_an_unbalanced_transaction(db):
    a = posting.account("farm", 1, "available")
    b = posting.account("platform_fees")
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.bulk_create([_entry("bad:1", a, 100, 10_001),
                                   _entry("bad:1", b, -99, 10_002)])
        LedgerTransaction.objects.create(key="bad:1", kind="adjustment",
                                         created_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():  # one entry is not a transaction
        Entry.objects.bulk_create([_entry("bad:2", a, 1, 10_003)])
        LedgerTransaction.objects.create(key="bad:2", kind="adjustment",
                                         created_at=timezone.now())
    assert not LedgerTransaction.objects.filter(key__startswith="bad:").exists()


def test_the_database_refuses_entries_without_their_transaction(db):
    a = posting.account("farm", 1, "available")
    b = posting.account("platform_fees")
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.bulk_create([_entry("lost:1", a, 100, 10_001),
                                   _entry("lost:1", b, -100, 10_002)])
        # the foreign key to the transaction is checked at commit (here: at the savepoint's
        # end on PostgreSQL, by the constraint check below on both)
        connection.check_constraints(table_names=["books_entry"])


def test_the_database_refuses_an_entry_added_to_a_written_transaction(paid):
    txn = LedgerTransaction.objects.first()
    fees = posting.account("platform_fees")
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.bulk_create([_entry(txn.key, fees, 100, 10_001),
                                   _entry(txn.key, fees, -100, 10_002)])


def test_the_posting_service_refuses_an_unbalanced_transaction(db):
    a = posting.account("farm", 1, "available")
    with pytest.raises(posting.LedgerError), transaction.atomic():
        posting.post(key="x", kind="adjustment", lines=[Line(a, "adjustment", 5),
                                                       Line(a, "adjustment", -4)])


def test_ledger_verify_passes_on_honest_books(paid, market):
    market.refund(paid, "10.00")
    out = StringIO()
    call_command("ledger_verify", stdout=out)
    assert "The ledger verifies: 16 entries in 2 transactions" in out.getvalue()


def _behind_the_triggers_back(sql: str, params: list) -> None:
    vendor = connection.vendor
    with connection.cursor() as cursor:
        for statement in triggers.statements(vendor, install=False):
            cursor.execute(statement)
        cursor.execute(sql, params)
        for statement in triggers.statements(vendor, install=True):
            cursor.execute(statement)


def test_ledger_verify_names_the_first_entry_altered_behind_the_triggers_back(paid, market):
    market.refund(paid, "10.00")
    victim = Entry.objects.get(seq=3)
    later = Entry.objects.get(seq=9)
    _behind_the_triggers_back("UPDATE books_entry SET amount_fen = amount_fen + 1 "
                              "WHERE seq IN (%s, %s)", [victim.seq, later.seq])

    err = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("ledger_verify", stderr=err)

    assert "entry #3 (transaction payment:order:" in str(failed.value)
    assert "changed after it was written" in str(failed.value)
    assert "does not balance" not in err.getvalue()
    assert f"transaction payment:order:{paid.pk}: 10 entries adding up to 2 fen" in err.getvalue()


def test_ledger_verify_notices_a_deleted_entry_and_a_balance_out_of_step(paid):
    _behind_the_triggers_back("DELETE FROM books_entry WHERE seq = %s", [4])
    Account.objects.filter(kind="platform_fees").update(balance_fen=1)

    with pytest.raises(CommandError) as failed:
        call_command("ledger_verify", stderr=StringIO())

    assert "entry #5: expected #4 next" in str(failed.value)

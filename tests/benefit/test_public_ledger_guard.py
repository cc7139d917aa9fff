"""Hardening round three, item 10: the public benefit ledger's table is append-only in the
database itself, on PostgreSQL and SQLite, as the books are: an entry cannot be updated or
deleted, by the ORM or by hand in SQL (a DELETE of the last entry used to succeed)."""

import pytest
from django.db import IntegrityError, connection, transaction

from benefit.models import PublicEntry
from tests.benefit.test_public_ledger import a_history

pytestmark = pytest.mark.django_db


def test_a_public_entry_cannot_be_updated(world):
    a_history(world)
    entry = PublicEntry.objects.get(project=world.project, seq=2)

    with pytest.raises(IntegrityError), transaction.atomic():
        PublicEntry.objects.filter(pk=entry.pk).update(amount_fen=-50)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE benefit_publicentry SET amount_fen = %s WHERE id = %s",
                       [-50, entry.pk])

    assert PublicEntry.objects.get(pk=entry.pk).amount_fen == entry.amount_fen


def test_the_last_public_entry_cannot_be_deleted(world):
    a_history(world)
    count = PublicEntry.objects.count()
    last = PublicEntry.objects.filter(project=world.project).order_by("-seq").first()

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM benefit_publicentry WHERE id = %s", [last.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        PublicEntry.objects.filter(pk=last.pk).delete()

    assert PublicEntry.objects.count() == count


def test_new_entries_are_still_written(world):
    a_history(world)
    before = PublicEntry.objects.count()
    world.buy({0: 1})  # another paid order pledges: one more entry, appended
    assert PublicEntry.objects.count() == before + 1

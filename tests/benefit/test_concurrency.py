"""Races on PostgreSQL with real threads: two staff recording disbursements at once never pass
on more than the project's confirmed balance, and the one refused posts nothing."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from benefit import services
from benefit.models import Disbursement, PublicEntry
from ledger.models import Account, LedgerTransaction
from marketplace.errors import DomainError
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db, benefit_settings):
    from tests.benefit.conftest import World

    return World()


def test_two_disbursements_at_once_never_exceed_the_confirmed_balance(world):
    world.pledge(kind="fixed", value="1.00")
    order = world.buy({0: 4})
    world.ship_and_deliver(order)
    world.settle(days=8)  # 4.00 confirmed

    def disburse(receipt: str):
        return lambda: services.disbursement_create(
            project_id=world.project.pk, amount=Decimal("3.00"), paid_on=date(2026, 12, 1),
            receipt_number=receipt)

    results = run_concurrently(disburse("R1"), disburse("R2"), disburse("R3"))

    done = [r for r in results if isinstance(r, Disbursement)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(done) == 1 and len(refused) == 2, results
    assert {r.code for r in refused} == {"disbursement_exceeds_balance"}
    assert Account.objects.get(kind="benefit_project", bucket="available").balance_fen == 100
    assert LedgerTransaction.objects.filter(key__startswith="benefit_disbursement:").count() == 1
    assert PublicEntry.objects.filter(kind="disbursement").count() == 1
    call_command("ledger_verify")
    call_command("benefit_verify")


def test_payments_at_once_chain_each_projects_entries_without_a_gap(world):
    world.pledge(kind="fixed", value="1.00")
    orders = [world.place({0: 1}, promo=False) for _ in range(6)]

    results = run_concurrently(*[(lambda o=o: world.pay(o)) for o in orders])

    assert not [r for r in results if isinstance(r, Exception)], results
    assert list(PublicEntry.objects.order_by("seq").values_list("seq", flat=True)) == [
        1, 2, 3, 4, 5, 6]
    call_command("benefit_verify")

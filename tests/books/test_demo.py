"""The demo (`manage.py demo`): a farm with weekly statements, a paid payout and a pending
balance, all of it posted through the services; the ledger verifies; twice changes nothing."""

import io

import pytest
from django.core.management import call_command

from books.models import Payout, Statement
from ledger.models import Entry
from tests.factories import client_for

pytestmark = pytest.mark.django_db


def test_the_demo_farm_has_statements_a_paid_payout_and_a_pending_balance():
    call_command("demo", force=True, stdout=io.StringIO())

    payout = Payout.objects.select_related("account").get(reference="ICBC-DEMO-0001")
    assert payout.status == "paid"
    farm = client_for(Statement.objects.filter(producer_id=payout.account.holder_id)
                      .first().producer.user)
    balance = farm.get("/producers/me/balance").json()
    assert float(balance["pending"]) > 0
    assert float(balance["paid_out"]) > 0
    statements = farm.get("/producers/me/statements").json()["items"]
    assert len(statements) >= 2
    assert any(s["payouts"] != "0.00" for s in statements)
    call_command("ledger_verify", stdout=io.StringIO())

    entries = Entry.objects.count()
    call_command("demo", force=True, stdout=io.StringIO())
    assert Entry.objects.count() == entries

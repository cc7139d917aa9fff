"""The public ledger: served oldest first, recomputable from the API alone (the hash of
API.md, recomputed here without the app's code), a signed head, and a change made in the
database behind the app's back caught by `manage.py benefit_verify` and by the standalone
tools/verify_benefit.py run against the live server."""

import base64
import hashlib
import json
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import CommandError, call_command

from tests.factories import make_project
from tools import verify_benefit

GENESIS = "0" * 64


def recompute(entries: list[dict]) -> None:
    prev = GENESIS
    for number, entry in enumerate(entries, start=1):
        assert entry["seq"] == number and entry["prev_hash"] == prev
        body = {k: v for k, v in entry.items() if k not in ("prev_hash", "entry_hash")}
        text = prev + "\n" + json.dumps(body, sort_keys=True, separators=(",", ":"),
                                        ensure_ascii=False)
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == entry["entry_hash"]
        prev = entry["entry_hash"]


def behind_the_triggers_back(sql: str, params: list) -> None:
    """Change the public ledger as someone with the database's owner rights could: drop its
    append-only triggers (benefit/triggers.py), run `sql`, put them back."""
    from django.db import connection, transaction

    from benefit import triggers

    with transaction.atomic(), connection.cursor() as cursor:
        for statement in triggers.statements(connection.vendor, install=False):
            cursor.execute(statement)
        cursor.execute(sql, params)
        for statement in triggers.statements(connection.vendor, install=True):
            cursor.execute(statement)


def a_history(world):
    """pledge, void (partial refund), confirm, disbursement."""
    from datetime import date

    from benefit import services

    world.pledge(kind="fixed", value="1.00")
    order = world.buy({0: 4})
    world.refund(order, "15.00")
    world.ship_and_deliver(order)
    world.settle(days=8)
    services.disbursement_create(project_id=world.project.pk, amount=Decimal("1.00"),
                                 paid_on=date(2026, 12, 1), receipt_number="R1")
    return order


@pytest.mark.django_db
def test_the_ledger_is_served_oldest_first_and_anyone_can_recompute_it(api, world):
    a_history(world)

    body = api.get(f"/benefit/projects/{world.project.pk}/ledger").json()

    entries = body["items"]
    assert [(e["kind"], e["amount"]) for e in entries] == [
        ("pledge", "4.00"), ("void", "-1.00"), ("confirm", "3.00"), ("disbursement", "-1.00")]
    assert set(entries[0]) == {"seq", "created_at", "kind", "amount", "listing_id", "order_ref",
                               "currency", "prev_hash", "entry_hash"}
    assert entries[0]["currency"] == "CNY" and entries[0]["listing_id"] == world.listings[0].pk
    assert entries[-1]["order_ref"] is None and entries[-1]["listing_id"] is None
    recompute(entries)


@pytest.mark.django_db
def test_an_entry_says_the_hour_not_the_moment_of_the_sale(api, world):
    # hardening round three, item 9: the payment's time to the microsecond beside its amount
    # let anyone line entries up with a farm's orders
    import time_machine

    world.pledge(kind="fixed", value="1.00")
    with time_machine.travel("2026-12-03 10:37:12.345678 +0000", tick=False):
        world.buy({0: 2})

    entries = api.get(f"/benefit/projects/{world.project.pk}/ledger").json()["items"]

    assert [e["created_at"] for e in entries] == ["2026-12-03T10:00:00.000000+00:00"]
    recompute(entries)  # and the chain still checks from the API alone


@pytest.mark.django_db
def test_the_ledger_pages_with_a_cursor(api, world):
    a_history(world)

    first = api.get(f"/benefit/projects/{world.project.pk}/ledger?limit=3").json()
    rest = api.get(f"/benefit/projects/{world.project.pk}/ledger?limit=3"
                   f"&cursor={first['next_cursor']}").json()

    recompute(first["items"] + rest["items"])
    assert rest["next_cursor"] is None


@pytest.mark.django_db
def test_the_ledger_of_an_unknown_project_is_404_and_a_bad_cursor_400(api, world):
    assert api.get("/benefit/projects/999999/ledger").status_code == 404
    assert api.get(f"/benefit/projects/{world.project.pk}/ledger?cursor=x").status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 20])
def test_the_ledger_costs_the_same_queries_for_1_and_20_entries(api, world, rows,
                                                                django_assert_num_queries):
    world.pledge(kind="fixed", value="1.00")
    for _ in range(rows):
        world.buy({0: 1}, promo=False)

    with django_assert_num_queries(2):
        response = api.get(f"/benefit/projects/{world.project.pk}/ledger?limit=20")

    assert len(response.json()["items"]) == rows


@pytest.mark.django_db
def test_the_head_is_signed_and_names_every_projects_last_entry(api, world):
    a_history(world)
    empty = make_project(title="还没有认捐的项目")

    head = api.get("/benefit/ledger/head").json()

    ledger = api.get(f"/benefit/projects/{world.project.pk}/ledger").json()["items"]
    assert head["heads"][str(world.project.pk)] == {"seq": 4,
                                                    "entry_hash": ledger[-1]["entry_hash"]}
    assert head["heads"][str(empty.pk)] == {"seq": 0, "entry_hash": GENESIS}
    message = json.dumps({"heads": head["heads"], "signed_at": head["signed_at"]},
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(head["public_key"]))
    key.verify(base64.b64decode(head["signature"]), message.encode("utf-8"))  # raises if bad


@pytest.mark.django_db
def test_benefit_verify_passes_and_names_an_entry_changed_in_the_database(world, capsys):
    a_history(world)
    call_command("benefit_verify")
    assert "4 entries" in capsys.readouterr().out

    behind_the_triggers_back("UPDATE benefit_publicentry SET amount_fen = -50 "
                             "WHERE project_id = %s AND seq = 2", [world.project.pk])

    with pytest.raises(CommandError) as failed:
        call_command("benefit_verify")
    assert f"project {world.project.pk} entry #2" in str(failed.value)


@pytest.mark.django_db
def test_benefit_verify_notices_a_removed_entry(world):
    a_history(world)
    behind_the_triggers_back("DELETE FROM benefit_publicentry WHERE project_id = %s "
                             "AND seq = 4", [world.project.pk])

    with pytest.raises(CommandError) as failed:
        call_command("benefit_verify")
    assert "is not the books'" in str(failed.value)


@pytest.fixture
def live_world(transactional_db, benefit_settings):
    from tests.benefit.conftest import World

    return World()


def test_the_standalone_script_verifies_the_live_site_and_catches_a_changed_entry(
        live_server, live_world, capsys):
    a_history(live_world)
    key = verify_benefit.get(live_server.url, "/benefit/ledger/head")["public_key"]

    assert verify_benefit.main([live_server.url, "--public-key", key]) == 0
    assert "4 entries verify" in capsys.readouterr().out

    behind_the_triggers_back("UPDATE benefit_publicentry SET amount_fen = 299 "
                             "WHERE project_id = %s AND seq = 3", [live_world.project.pk])

    assert verify_benefit.main([live_server.url]) == 1
    assert f"project {live_world.project.pk} entry #3" in capsys.readouterr().err


def test_the_standalone_script_refuses_a_head_signed_with_another_key(live_server, live_world,
                                                                      capsys):
    other = base64.b64encode(b"\x01" * 32).decode()

    assert verify_benefit.main([live_server.url, "--public-key", other]) == 1
    assert "not the one you trust" in capsys.readouterr().err


def test_the_standalone_script_says_when_it_cannot_read_the_site(capsys):
    assert verify_benefit.main(["http://127.0.0.1:9"]) == 2

"""Hardening round three, items 1 and 2: failures are counted per account on every sign-in
path (the API's token, the admin, phone codes); staff get no API token unless
STAFF_API_TOKENS; the lock is per (account, address), so a guesser locks only itself, and an
account under attack from many addresses is slowed, never locked, and never for an address
that signed in to it recently."""

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from accounts import lockout as lockout_module
from tests.client import ApiClient
from tests.factories import make_user

pytestmark = pytest.mark.django_db

RIGHT = "a-Strong-pass-123"
ATTACKER = "198.51.100.66"
OWNER = "203.0.113.7"


@pytest.fixture(autouse=True)
def lockout(settings):
    settings.ADMIN_LOGIN_MAX_FAILURES = 5
    settings.ADMIN_LOGIN_LOCKOUT_SECONDS = 60
    settings.SIGN_IN_ACCOUNT_CEILING = 20
    settings.SIGN_IN_ACCOUNT_SLOW_SECONDS = 30
    settings.AUTH_THROTTLE_RATE = "1000/min"  # the per-address throttle is not under test
    cache.clear()
    yield
    cache.clear()
    lockout_module.reset_local()


@pytest.fixture
def staff(db):
    return make_user(username="staff_zhao", password=RIGHT, is_staff=True, is_superuser=True)


@pytest.fixture
def farmer(db):
    return make_user(username="farmer_li", password=RIGHT)


def api_sign_in(password, *, username="farmer_li", address=OWNER):
    return ApiClient(REMOTE_ADDR=address).post(
        "/auth/token", {"username": username, "password": password})


def admin_sign_in(password, *, username="staff_zhao", address=OWNER):
    return Client(REMOTE_ADDR=address).post("/admin/login/?next=/admin/",
                                            {"username": username, "password": password})


# --- item 1: every path counts --------------------------------------------------------------

def test_wrong_passwords_through_the_api_lock_that_address_out_of_the_account(farmer):
    for i in range(5):
        wrong = api_sign_in(f"guess-{i}", address=ATTACKER)
        assert wrong.status_code == 401
        assert wrong.json()["error"]["code"] == "invalid_credentials"

    locked = api_sign_in(RIGHT, address=ATTACKER)

    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "sign_in_locked"
    assert 1 <= int(locked["Retry-After"]) <= 61
    assert "token" not in locked.json()


def test_failures_on_the_admin_and_the_api_add_up(staff, settings):
    settings.STAFF_API_TOKENS = True
    for i in range(3):
        assert admin_sign_in(f"guess-{i}", address=ATTACKER).status_code == 200
    for i in range(2):
        assert api_sign_in(f"guess-{i}", username="staff_zhao",
                           address=ATTACKER).status_code == 401

    # the right password, on either path, is refused unchecked
    assert api_sign_in(RIGHT, username="staff_zhao", address=ATTACKER).status_code == 429
    assert admin_sign_in(RIGHT, address=ATTACKER).status_code == 429


def test_a_staff_account_gets_no_api_token_even_with_the_right_password(staff):
    refused = api_sign_in(RIGHT, username="staff_zhao")

    # answered as a wrong password: the API tells nothing about a staff password
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_credentials"
    assert "token" not in refused.json()
    assert admin_sign_in(RIGHT).status_code == 302  # the admin is where staff sign in


def test_staff_api_tokens_when_the_setting_allows_them(staff, settings):
    settings.STAFF_API_TOKENS = True
    assert api_sign_in(RIGHT, username="staff_zhao").status_code == 200


def test_an_address_rotating_through_its_ipv6_prefix_is_one_address(farmer):
    for i in range(5):
        api_sign_in(f"guess-{i}", address=f"2001:db8:1:2::{i + 1:x}")
    assert api_sign_in(RIGHT, address="2001:db8:1:2:ffff::9").status_code == 429
    # another /64 is another address
    assert api_sign_in(RIGHT, address="2001:db8:1:3::1").status_code == 200


# --- item 2: a guesser locks only itself; an account under attack is slowed ---------------------

def test_seven_wrong_guesses_from_one_address_do_not_keep_the_owner_out(staff, farmer):
    for i in range(7):
        admin_sign_in(f"guess-{i}", address=ATTACKER)
        api_sign_in(f"guess-{i}", address=ATTACKER)

    assert admin_sign_in(RIGHT, address="192.0.2.200").status_code == 302
    assert api_sign_in(RIGHT, address="192.0.2.200").status_code == 200


def test_an_account_guessed_from_many_addresses_is_slowed_not_locked(farmer):
    with time_machine.travel("2026-12-01 02:00:00 +0000", tick=False) as clock:
        # the owner signed in from home once
        assert api_sign_in(RIGHT, address=OWNER).status_code == 200
        # then guesses from 20 addresses, one each: no pair is locked, the account is past its
        # ceiling
        for i in range(20):
            assert api_sign_in(f"guess-{i}", address=f"198.51.100.{i}").status_code == 401

        # from addresses it has not signed in from: one try per 30 s, all of them together
        first = api_sign_in(RIGHT, address="192.0.2.1")
        slowed = api_sign_in(RIGHT, address="192.0.2.2")
        assert first.status_code == 200
        assert slowed.status_code == 429
        assert slowed.json()["error"]["code"] == "sign_in_locked"
        assert 1 <= int(slowed["Retry-After"]) <= 31

        # the owner's usual address is never held back
        for _ in range(3):
            assert api_sign_in(RIGHT, address=OWNER).status_code == 200

        # and the slowing is a wait, not a lock
        clock.shift(31)
        assert api_sign_in(RIGHT, address="192.0.2.2").status_code == 200


def test_a_recent_success_keeps_its_address_open_to_the_account(staff):
    assert admin_sign_in(RIGHT, address=OWNER).status_code == 302
    # someone behind the same address sprays other usernames: the address is locked for them
    for i in range(5 * lockout_module.ADDRESS_FACTOR):
        admin_sign_in("guess", username=f"someone{i}", address=OWNER)
    assert admin_sign_in("guess", username="someone99", address=OWNER).status_code == 429
    # but not for the account that signed in from it
    assert admin_sign_in(RIGHT, address=OWNER).status_code == 302


# --- phone codes ------------------------------------------------------------------------------

PHONE_NUMBER = "13812345678"


def phone_sign_in(code, *, address=ATTACKER):
    return ApiClient(REMOTE_ADDR=address).post("/auth/phone",
                                               {"phone": PHONE_NUMBER, "code": code})


def test_wrong_phone_codes_lock_the_address_out_of_the_phone(db):
    for i in range(5):
        wrong = phone_sign_in(f"{i:06d}")
        assert wrong.status_code == 401
        assert wrong.json()["error"]["code"] == "invalid_code"

    locked = phone_sign_in("123456")

    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "sign_in_locked"
    # another address is not locked out by this one's guesses
    assert phone_sign_in("123456", address="192.0.2.5").status_code == 401

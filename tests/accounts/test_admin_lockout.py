"""The admin's sign-in is locked per address and per (username, address) after
ADMIN_LOGIN_MAX_FAILURES failures, with a lock that doubles with each further failure; a right
password during the lock is refused too. Without Redis each process still locks."""

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client, override_settings

from accounts import lockout as lockout_module
from tests.factories import make_user

pytestmark = pytest.mark.django_db

RIGHT = "a-Strong-pass-123"


@pytest.fixture(autouse=True)
def lockout(settings):
    settings.ADMIN_LOGIN_MAX_FAILURES = 5
    settings.ADMIN_LOGIN_LOCKOUT_SECONDS = 60
    cache.clear()
    yield
    cache.clear()
    lockout_module.reset_local()


@pytest.fixture
def staff(db):
    return make_user(username="staff_zhao", password=RIGHT, is_staff=True, is_superuser=True)


def sign_in(password, *, username="staff_zhao", address="203.0.113.7"):
    return Client(REMOTE_ADDR=address).post("/admin/login/?next=/admin/",
                                            {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(staff):
    with time_machine.travel("2026-12-01 02:00:00 +0000", tick=False) as clock:
        for i in range(5):
            assert sign_in(f"guess-{i}").status_code == 200  # the form again
        locked = sign_in(RIGHT)
        assert locked.status_code == 429
        assert 1 <= int(locked["Retry-After"]) <= 61
        assert "登录尝试过多" in locked.content.decode()

        # the lock runs out after a minute, and the right password works again
        clock.shift(61)
        assert sign_in(RIGHT).status_code == 302


def test_guesses_from_other_addresses_do_not_lock_the_username(staff):
    # the lock is per (account, address): guessers lock themselves, not the owner
    # (tests/accounts/test_sign_in_lockout.py has the account-wide slowing)
    for i in range(5):
        sign_in(f"guess-{i}", address=f"198.51.100.{i}")
    assert sign_in(RIGHT, address="192.0.2.200").status_code == 302


def test_an_address_is_locked_for_every_username(staff):
    # after four times the failures one account takes (many may share an address)
    for i in range(5 * lockout_module.ADDRESS_FACTOR):
        sign_in("guess", username=f"someone{i}")
    assert sign_in(RIGHT).status_code == 429
    # another address may still sign in as staff
    assert sign_in(RIGHT, address="192.0.2.9").status_code == 302


def test_each_failure_after_a_lock_doubles_it(staff):
    with time_machine.travel("2026-12-01 02:00:00 +0000", tick=False) as clock:
        for i in range(5):
            sign_in(f"guess-{i}")
        clock.shift(61)
        assert sign_in("guess-again").status_code == 200  # checked, wrong: 2 minutes now
        assert 61 < int(sign_in(RIGHT)["Retry-After"]) <= 121
        clock.shift(121)
        sign_in("and-again")  # 4 minutes
        assert 121 < int(sign_in(RIGHT)["Retry-After"]) <= 241


def test_a_success_clears_the_count(staff):
    for i in range(4):
        sign_in(f"guess-{i}")
    assert sign_in(RIGHT).status_code == 302
    for i in range(4):
        assert sign_in(f"guess-{i}").status_code == 200
    assert sign_in(RIGHT).status_code == 302


def test_without_redis_each_process_still_locks(staff):
    unreachable = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                               "LOCATION": "redis://127.0.0.1:1/0",
                               "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}}
    with override_settings(CACHES=unreachable):
        for i in range(5):
            assert sign_in(f"guess-{i}").status_code == 200
        assert sign_in(RIGHT).status_code == 429

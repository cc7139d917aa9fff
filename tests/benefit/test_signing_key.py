"""The head's signing key: BENEFIT_SIGNING_KEY in production; generated on first use only in
development. With DEBUG off and no key, a system check error at start and a 503 at the head,
never a 500 and never a key made up on the spot."""

import pytest
from django.core import checks

from benefit import signing
from benefit.checks import signing_key


@pytest.fixture(autouse=True)
def fresh_key_cache():
    signing._load.cache_clear()
    yield
    signing._load.cache_clear()


def test_without_a_key_and_debug_off_the_check_fails_by_name(settings):
    settings.DEBUG = False
    settings.BENEFIT_SIGNING_KEY = ""

    errors = signing_key(None)

    assert [e.id for e in errors] == ["benefit.E001"]
    assert "BENEFIT_SIGNING_KEY is not set" in errors[0].msg
    assert any(e.id == "benefit.E001" for e in checks.run_checks())


@pytest.mark.django_db
def test_without_a_key_and_debug_off_the_head_is_503_in_the_envelope(api, settings):
    settings.DEBUG = False
    settings.BENEFIT_SIGNING_KEY = ""

    response = api.get("/benefit/ledger/head")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "signing_key_missing"


def test_a_key_file_that_is_not_a_key_fails_the_check(settings, tmp_path):
    bad = tmp_path / "key.pem"
    bad.write_text("not a key")
    settings.BENEFIT_SIGNING_KEY = str(bad)

    assert "is not an unencrypted Ed25519 PEM key" in signing_key(None)[0].msg


def test_a_key_file_that_is_missing_fails_the_check(settings, tmp_path):
    settings.BENEFIT_SIGNING_KEY = str(tmp_path / "nowhere.pem")

    assert "does not exist" in signing_key(None)[0].msg


@pytest.mark.django_db
def test_in_development_a_key_is_made_on_first_use_and_kept(api, settings, tmp_path):
    settings.DEBUG = True
    settings.BENEFIT_SIGNING_KEY = ""
    settings.BENEFIT_DEV_SIGNING_KEY = tmp_path / "var" / "dev-key.pem"
    assert signing_key(None) == []

    first = api.get("/benefit/ledger/head").json()["public_key"]
    signing._load.cache_clear()
    second = api.get("/benefit/ledger/head").json()["public_key"]

    assert first == second
    assert (tmp_path / "var" / "dev-key.pem").stat().st_mode & 0o777 == 0o600


def test_the_configured_key_passes_the_check():
    assert signing_key(None) == []

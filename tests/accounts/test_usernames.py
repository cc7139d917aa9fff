"""One account per name as people read it (NFKC, case-folded, unique in the database), and no
name that poses as another with look-alike letters."""

import pytest
from django.db import IntegrityError
from django.test import Client

from accounts.models import User
from tests.client import ApiClient
from tests.concurrency import run_concurrently
from tests.factories import make_user

STRONG = "Orchard-Harvest-2026"


def register(api, username):
    return api.post("/auth/register", {"username": username, "password": STRONG})


@pytest.mark.django_db
@pytest.mark.parametrize("second", ["caserace", "CASERACE", "cAsErAcE"])
def test_a_username_differing_only_in_case_is_taken(api, second):
    assert register(api, "CaseRace").status_code == 201
    response = register(api, second)
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"field": "username", "message": "This username is taken."}]
    assert User.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("lookalike", [
    "\u0430dmin",          # Cyrillic а + Latin dmin
    "\u0430\u0441\u0435",  # асе: all Cyrillic, reads as "ace"
    "\uff41\uff44\uff4d\uff49\uff4e",  # ａｄｍｉｎ, full-width
    "\u0391\u0392\u0393",  # Greek capitals ΑΒΓ
    "admin\u2460",         # circled digit one
])
def test_confusable_and_full_width_usernames_are_refused(api, lookalike):
    make_user(username="admin")
    response = register(api, lookalike)
    assert response.status_code == 422, response.content
    assert response.json()["error"]["details"][0]["field"] == "username"
    assert User.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["李大姐", "farmer_li", "li.da-jie@2026", "果园2号"])
def test_chinese_and_ascii_usernames_are_welcome(api, name):
    assert register(api, name).status_code == 201


@pytest.mark.django_db
def test_the_database_itself_refuses_a_second_spelling():
    make_user(username="Orchard")
    with pytest.raises(IntegrityError):
        make_user(username="ORCHARD")


@pytest.mark.django_db
def test_the_admin_refuses_a_name_taken_in_another_case():
    make_user(username="Orchard")
    staff = make_user(username="staff_zhao", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(staff)
    response = admin.post("/admin/accounts/user/add/", {
        "username": "orchard", "password1": STRONG, "password2": STRONG,
        "usable_password": "true"})
    assert response.status_code == 200  # the form again, with the error
    assert "This username is taken." in response.content.decode()
    assert User.objects.filter(username__iexact="orchard").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_spellings_registered_at_once_make_one_account():
    spellings = ["CaseRace", "caserace", "CASERACE", "cAsErAcE"]
    statuses = run_concurrently(*[
        lambda name=name: register(ApiClient(), name).status_code for name in spellings])
    assert sorted(statuses) == [201, 422, 422, 422]
    assert User.objects.count() == 1

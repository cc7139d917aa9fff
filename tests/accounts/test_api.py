import pytest
from django.test import Client

from accounts.models import Token, User
from tests.factories import make_user

pytestmark = pytest.mark.django_db

STRONG = "Orchard-Harvest-2026"


def register(api, username="farmer_li", password=STRONG, **extra):
    return api.post("/auth/register", {"username": username, "password": password, **extra})


def test_register_token_me_logout_then_the_token_is_refused(api):
    # given a new account
    response = register(api, display_name="李大姐", phone="13800000000")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"]["username"] == "farmer_li"
    assert body["user"]["display_name"] == "李大姐"
    assert body["user"]["producer_id"] is None and body["user"]["promoter_id"] is None

    # when signing in
    response = api.post("/auth/token", {"username": "farmer_li", "password": STRONG})
    assert response.status_code == 200
    token = response.json()["token"]
    assert response.json()["expires_at"]
    headers = {"Authorization": f"Bearer {token}"}

    # then /me answers, and after logout the token stops working
    me = api.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["username"] == "farmer_li"
    assert api.post("/api/v1/auth/logout", headers=headers).status_code == 204
    refused = api.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "not_authenticated"


def test_tokens_are_stored_only_as_hashes(api):
    token = register(api).json()["token"]
    stored = Token.objects.get()
    assert token not in stored.key_hash and len(stored.key_hash) == 64


def test_expired_token_is_refused(api):
    token = register(api).json()["token"]
    Token.objects.update(expires_at="2000-01-01T00:00:00Z")
    response = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_wrong_password_is_401_in_the_envelope(api):
    register(api)
    response = api.post("/auth/token", {"username": "farmer_li", "password": "wrong-one-123"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_weak_password_is_422_with_the_field(api):
    response = register(api, password="12345678")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert [d["field"] for d in error["details"]] == ["password"]


def test_taken_username_is_422_with_the_field(api):
    register(api)
    response = register(api, username="FARMER_LI")
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"field": "username", "message": "This username is taken."}
    ]


def test_missing_and_wrongly_typed_fields_are_422_one_entry_per_field(api):
    response = api.post("/auth/register", {"username": 12})
    assert response.status_code == 422
    fields = sorted(d["field"] for d in response.json()["error"]["details"])
    assert fields == ["password", "username"]


def test_malformed_json_is_400(api):
    response = api.post("/auth/token", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_me_without_token_is_401(api):
    response = api.get("/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_unknown_api_path_is_404_in_the_envelope(api):
    response = api.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_unknown_api_path_is_the_envelope_under_debug_too(api, settings):
    # given `make run`'s DEBUG, where Django answers its HTML debug page for an unknown URL
    settings.DEBUG = True
    response = api.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


def test_login_is_throttled_per_address_with_retry_after(api, settings):
    settings.AUTH_THROTTLE_RATE = "3/min"
    for _ in range(3):
        api.post("/auth/token", {"username": "x", "password": "y"})
    response = api.post("/auth/token", {"username": "x", "password": "y"})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) >= 1
    # another address is not affected
    other = api.post("/auth/token", {"username": "x", "password": "y"}, REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 401


def test_a_wrong_method_is_405_in_the_envelope_with_allow(api):
    response = api.post("/health", {})
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_logout_all_revokes_every_token_of_the_caller_only(api):
    # given two tokens of one account (two phones) and one of another account
    first = register(api).json()["token"]
    second = api.post("/auth/token", {"username": "farmer_li", "password": STRONG}).json()["token"]
    other = register(api, username="farmer_wang").json()["token"]

    # when one phone signs out everywhere
    response = api.post("/auth/logout-all", headers={"Authorization": f"Bearer {first}"})

    # then neither token of that account works; the other account's still does
    assert response.status_code == 204
    for token in (first, second):
        assert api.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert api.get("/me", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_logout_all_needs_a_token(api):
    response = api.post("/auth/logout-all")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_password_change_in_the_admin_revokes_every_token(api):
    # given an account with a live token, and a staff member
    token = register(api).json()["token"]
    user = User.objects.get(username="farmer_li")
    staff = make_user(username="staff_zhao", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(staff)

    # when staff set a new password in the admin
    response = admin.post(f"/admin/accounts/user/{user.pk}/password/",
                          {"password1": "Another-Orchard-2027", "password2": "Another-Orchard-2027",
                           "usable_password": "true"})

    # then the old token is refused and the new password signs in
    assert response.status_code == 302, response.content[:500]
    assert api.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    signed_in = api.post("/auth/token", {"username": "farmer_li",
                                         "password": "Another-Orchard-2027"})
    assert signed_in.status_code == 200


def test_saving_an_account_without_a_new_password_keeps_its_tokens(api):
    token = register(api).json()["token"]
    user = User.objects.get(username="farmer_li")
    user.display_name = "李大姐"
    user.save()
    assert api.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200

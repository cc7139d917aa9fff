"""Account writes: registration and sign-in."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from accounts import lockout
from accounts.auth import token_issue
from accounts.models import Token, User
from accounts.usernames import username_key, username_problem
from marketplace.errors import NotAuthenticated, ValidationFailed


@transaction.atomic
def user_register(
    *, username: str, password: str, display_name: str = "", phone: str = ""
) -> tuple[User, str]:
    errors: dict[str, str] = {}
    problem = username_problem(username)
    if problem:
        errors["username"] = problem
    elif User.objects.filter(username_key=username_key(username)).exists():
        errors["username"] = "This username is taken."
    candidate = User(username=username, display_name=display_name, phone=phone)
    try:
        validate_password(password, user=candidate)
    except DjangoValidationError as exc:
        errors["password"] = " ".join(exc.messages)
    if errors:
        raise ValidationFailed(errors)
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save()
    except IntegrityError:
        raise ValidationFailed({"username": "This username is taken."}) from None
    raw, _ = token_issue(user=candidate)
    return candidate, raw


def user_sign_in(*, username: str, password: str, address: str) -> tuple[str, Token]:
    """A token for the right password. Every failure counts against the account and the
    address (accounts.lockout). A staff account gets no token unless STAFF_API_TOKENS: its
    right password is answered as a wrong one (and counted), so the API tells nothing about a
    staff password."""
    account = lockout.username_account(username)
    lockout.admit_or_429(address=address, account=account)
    user = authenticate(username=username, password=password)
    if (user is None or not user.is_active
            or (user.is_staff and not settings.STAFF_API_TOKENS)):
        lockout.record_failure(address=address, account=account)
        raise NotAuthenticated("Wrong username or password.", code="invalid_credentials")
    lockout.record_success(address=address, account=account)
    return token_issue(user=user)

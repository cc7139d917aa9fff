"""Bearer tokens: random, stored only as a SHA-256 hash, with an expiry and revocation."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from accounts.models import Token, User


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_issue(*, user: User) -> tuple[str, Token]:
    raw = secrets.token_urlsafe(32)
    token = Token.objects.create(
        user=user,
        key_hash=hash_token(raw),
        expires_at=timezone.now() + timedelta(days=settings.TOKEN_TTL_DAYS),
    )
    return raw, token


def token_revoke(*, raw: str) -> None:
    Token.objects.filter(key_hash=hash_token(raw), revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def tokens_revoke_all(*, user: User) -> int:
    """Every live token of `user` stops working (sign-out everywhere, a password change)."""
    return Token.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def user_for_token(raw: str) -> User | None:
    if not raw or len(raw) > 200:
        return None
    token = (
        Token.objects.select_related("user")
        .filter(
            key_hash=hash_token(raw),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .first()
    )
    return token.user if token else None


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; sets request.user and request.auth to the User."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
            request.bearer_token = token
        return user


class OptionalTokenAuth(TokenAuth):
    """For public endpoints that read the caller when there is one (anonymous is fine). The
    OpenAPI document says "bearer or none" for them (shanhuo.openapi)."""

    openapi_optional = True

    def __call__(self, request: HttpRequest):
        return super().__call__(request) or AnonymousCaller()


class AnonymousCaller:
    """Truthy stand-in for "nobody signed in" so that ninja lets the request through."""

    is_authenticated = False
    pk = None
    id = None

    def __bool__(self) -> bool:
        return True


bearer = TokenAuth()
optional_bearer = OptionalTokenAuth()


def caller(request: HttpRequest) -> User | None:
    """The signed-in user of a request made through `optional_bearer`, or None."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, User) else None

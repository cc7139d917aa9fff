from django.http import HttpRequest
from ninja import Router, Status

from accounts.auth import bearer, token_revoke, tokens_revoke_all
from accounts.schemas import RegisterIn, RegisterOut, TokenIn, TokenOut, UserOut
from accounts.selectors import user_with_roles
from accounts.services import user_register, user_sign_in
from accounts.throttling import auth_throttle
from marketplace.schemas import ErrorOut

router = Router(tags=["accounts"])


@router.post("/auth/register", response={201: RegisterOut}, throttle=auth_throttle("register"))
def register(request: HttpRequest, payload: RegisterIn):
    """Create an account and get its first token. Weak passwords (Django's validators) and taken
    usernames are 422. Limited per client address (`AUTH_THROTTLE_RATE`)."""
    user, token = user_register(**payload.dict())
    return Status(201, {"user": user_with_roles(user.pk), "token": token})


@router.post("/auth/token", response={200: TokenOut, 401: ErrorOut},
             throttle=auth_throttle("login"))
def token(request: HttpRequest, payload: TokenIn):
    """Sign in: a bearer token for `Authorization: Bearer <token>` and when it expires. A wrong
    username or password is 401 `invalid_credentials`. Limited per client address."""
    raw, token = user_sign_in(username=payload.username, password=payload.password)
    return {"token": raw, "expires_at": token.expires_at}


@router.post("/auth/logout", response={204: None}, auth=bearer)
def logout(request: HttpRequest):
    """Sign out: the token of this request stops working."""
    token_revoke(raw=request.bearer_token)
    return Status(204, None)


@router.post("/auth/logout-all", response={204: None}, auth=bearer)
def logout_all(request: HttpRequest):
    """Every token of the caller stops working: a lost phone, a shared device."""
    tokens_revoke_all(user=request.auth)
    return Status(204, None)


@router.get("/me", response=UserOut, auth=bearer)
def me(request: HttpRequest):
    """The signed-in account, with its producer and promoter ids when it has those roles."""
    return user_with_roles(request.auth.pk)

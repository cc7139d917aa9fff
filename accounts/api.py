from django.http import HttpRequest
from ninja import Query, Router, Status

from accounts.auth import bearer, token_revoke, tokens_revoke_all
from accounts.phone import (
    RESEND_AFTER,
    contact_add,
    phone_or_422,
    phone_sign_in,
    sms_code_send,
)
from accounts.schemas import (
    ContactIn,
    ContactOut,
    PhoneSignInIn,
    PhoneSignInOut,
    RegisterIn,
    RegisterOut,
    SmsCodeIn,
    SmsCodeOut,
    TokenIn,
    TokenOut,
    UserOut,
)
from accounts.selectors import user_with_roles
from accounts.services import user_register, user_sign_in
from accounts.throttling import SettingRateThrottle, auth_throttle
from marketplace.idempotency import idempotent
from marketplace.pagination import PageParams, page_schema
from marketplace.schemas import ErrorOut, PathId
from marketplace.visitors import client_address
from notify import selectors as notify_selectors
from notify import services as notify_services

router = Router(tags=["accounts"])


@router.post("/auth/register", response={201: RegisterOut}, throttle=auth_throttle("register"))
def register(request: HttpRequest, payload: RegisterIn):
    """Create an account and get its first token. Weak passwords (Django's validators) and taken
    usernames are 422. Limited per client address (`AUTH_THROTTLE_RATE`)."""
    user, token = user_register(**payload.dict())
    return Status(201, {"user": user_with_roles(user.pk), "token": token})


@router.post("/auth/token", response={200: TokenOut, 401: ErrorOut, 429: ErrorOut},
             throttle=auth_throttle("login"))
def token(request: HttpRequest, payload: TokenIn):
    """Sign in: a bearer token for `Authorization: Bearer <token>` and when it expires. A wrong
    username or password is 401 `invalid_credentials`, and so is a staff account's right one
    unless STAFF_API_TOKENS (staff sign in to the admin). Limited per client address; after
    ADMIN_LOGIN_MAX_FAILURES failures an address is locked out of the account: 429
    `sign_in_locked` with Retry-After, the password unchecked."""
    raw, token = user_sign_in(username=payload.username, password=payload.password,
                              address=client_address(request))
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


@router.post("/auth/sms-code", response={202: SmsCodeOut},
             throttle=[SettingRateThrottle("SMS_CODE_THROTTLE_RATE", "sms_code")])
def sms_code(request: HttpRequest, payload: SmsCodeIn):
    """Send a six-digit code by SMS, valid 5 minutes: one a minute and SMS_CODE_DAILY_LIMIT a
    day per phone (429 with Retry-After), limited per client address too. The answer is the
    same whether or not the phone has an account. No SMS provider: 503 `sms_unavailable`."""
    phone = phone_or_422(payload.phone)
    expires_at = sms_code_send(phone=phone)
    return Status(202, {"expires_at": expires_at,
                        "resend_after": int(RESEND_AFTER.total_seconds())})


@router.post("/auth/phone", response={200: PhoneSignInOut, 401: ErrorOut, 403: ErrorOut,
                                       429: ErrorOut},
             throttle=auth_throttle("phone"))
def phone_sign_in_view(request: HttpRequest, payload: PhoneSignInIn):
    """Sign in with a phone and its code; the first sign-in makes the account (`created`). A
    wrong, expired or spent code, or one sent to another phone, is 401 `invalid_code`; five
    wrong codes spend the code, and lock the address out of the phone like wrong passwords
    (429 `sign_in_locked`). A staff account's phone is 403 `staff_sign_in_admin_only`."""
    phone = phone_or_422(payload.phone)
    raw, token, user, created = phone_sign_in(phone=phone, code=payload.code,
                                              address=client_address(request))
    return {"token": raw, "expires_at": token.expires_at, "user": user_with_roles(user.pk),
            "created": created}


@router.get("/me/contacts", response=page_schema(ContactOut), auth=bearer)
def contact_list(request: HttpRequest, page: Query[PageParams]):
    """Where the caller can be reached: WeChat openids, verified phones, e-mail addresses."""
    return notify_selectors.contact_page(user=request.auth, params=page)


@router.post("/me/contacts", response={201: ContactOut}, auth=bearer)
@idempotent(ContactOut, status=201)
def contact_create(request: HttpRequest, payload: ContactIn):
    """`{channel: "wechat", openid}`, `{channel: "sms", phone, code}` (the code from
    /auth/sms-code: the phone then also signs in), `{channel: "email", address}`. A phone or
    openid of another account is 409 `contact_taken`."""
    return Status(201, contact_add(user=request.auth, **payload.dict()))


@router.delete("/me/contacts/{contact_id}", response={204: None}, auth=bearer)
def contact_delete(request: HttpRequest, contact_id: PathId):
    """Remove a contact point of the caller's (another's is 404)."""
    notify_services.contact_delete(user=request.auth, contact_id=contact_id)
    return Status(204, None)

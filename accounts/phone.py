"""Signing in with a phone: six-digit codes by SMS, and the account a phone belongs to.

A code is valid CODE_TTL (5 minutes); a phone gets at most one a minute and SMS_CODE_DAILY_LIMIT
a day (Asia/Shanghai), counted in its one `PhoneCode` row by a conditional UPDATE, so two
requests at once send one code. Only an HMAC of phone and code is kept. MAX_ATTEMPTS wrong codes
spend the code. Nothing in the answers says whether a phone has an account: the first sign-in
makes one. Sending goes through notify (the SMS provider of the settings).
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from accounts import lockout
from accounts.auth import token_issue
from accounts.models import PhoneCode, Token, User
from marketplace.errors import (
    Conflict,
    NotAuthenticated,
    PermissionDenied,
    Throttled,
    ValidationFailed,
)
from marketplace.sql import insert_unless_taken
from notify import events
from notify import registry as notify_providers
from notify import selectors as notify_selectors
from notify import services as notify_services
from notify.phones import mainland_mobile

CODE_TTL = timedelta(minutes=5)
RESEND_AFTER = timedelta(minutes=1)
MAX_ATTEMPTS = 5


def phone_or_422(raw: str, field: str = "phone") -> str:
    phone = mainland_mobile(raw)
    if phone is None:
        raise ValidationFailed([{"field": field, "code": "invalid_format",
                                 "message": "请填写中国大陆手机号（11 位，1 开头）。"}])
    return phone


def _hash(phone: str, code: str) -> str:
    key = hashlib.sha256(f"phone-code:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _next_midnight(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def _claim(phone: str, code_hash: str, now: datetime) -> None:
    """Record the new code, or 429 with Retry-After when the phone had one in the last minute
    or SMS_CODE_DAILY_LIMIT today."""
    today = timezone.localdate(now)
    limit = settings.SMS_CODE_DAILY_LIMIT
    fresh = {"code_hash": code_hash, "sent_at": now, "expires_at": now + CODE_TTL,
             "attempts": 0, "spent": False}
    with transaction.atomic():
        if insert_unless_taken(PhoneCode(phone=phone, day=today, day_count=1, **fresh),
                               unique=["phone"]):
            return
        if PhoneCode.objects.filter(phone=phone, sent_at__lte=now - RESEND_AFTER).filter(
                Q(day__lt=today) | Q(day_count__lt=limit)).update(
                day_count=Case(When(day=today, then=F("day_count") + 1), default=Value(1)),
                day=today, **fresh):
            return
        row = PhoneCode.objects.filter(phone=phone).first()
    if row is not None and row.day == today and row.day_count >= limit:
        wait = (_next_midnight(now) - now).total_seconds()
        raise Throttled("今天发送的验证码已达上限，请明天再试。", code="sms_code_daily_limit",
                        retry_after=int(wait) + 1)
    wait = ((row.sent_at + RESEND_AFTER - now).total_seconds() if row else 60)
    raise Throttled("验证码发送太频繁，请稍后再试。", code="sms_code_too_soon",
                    retry_after=max(1, int(wait) + 1))


def sms_code_send(*, phone: str) -> datetime:
    """Send a new code to `phone` (already checked); when it expires. The same answer whether
    or not the phone has an account."""
    if notify_providers.sms_provider() is None:
        raise notify_services.SmsUnavailable("短信服务未配置，暂时无法发送验证码。")
    now = timezone.now()
    code = f"{secrets.randbelow(10**6):06d}"
    code_hash = _hash(phone, code)
    _claim(phone, code_hash, now)
    try:
        notify_services.sms_send_now(
            phone=phone, event=events.SIGN_IN_CODE, params={"code": code},
            text=f"您的山货验证码是 {code}，5 分钟内有效。请勿告诉他人。")
    except Exception:
        # nothing went out: the minute and the day's count are given back
        PhoneCode.objects.filter(phone=phone, code_hash=code_hash).update(
            spent=True, sent_at=now - RESEND_AFTER,
            day_count=Case(When(day_count__gt=0, then=F("day_count") - 1), default=Value(0)))
        raise
    return now + CODE_TTL


def phone_code_check(*, phone: str, code: str) -> None:
    """Spend the code if it is this phone's live one; else count a wrong try (the fifth spends
    it) and 401 invalid_code, the same for a code of another phone, expired or spent."""
    now = timezone.now()
    if PhoneCode.objects.filter(phone=phone, code_hash=_hash(phone, code), spent=False,
                                expires_at__gt=now, attempts__lt=MAX_ATTEMPTS).update(spent=True):
        return
    PhoneCode.objects.filter(phone=phone, spent=False).update(
        attempts=F("attempts") + 1,
        spent=Case(When(attempts__gte=MAX_ATTEMPTS - 1, then=Value(True)), default=Value(False)))
    raise NotAuthenticated("验证码不对或已失效，请重新获取。", code="invalid_code")


def _new_phone_account(phone: str) -> User:
    user = User(username=f"m{secrets.token_hex(6)}", display_name=f"山货用户{phone[-4:]}")
    user.set_unusable_password()
    user.save()
    notify_services.contact_add(user=user, channel="sms", address=phone, verified=True)
    return user


def phone_sign_in(*, phone: str, code: str, address: str) -> tuple[str, Token, User, bool]:
    """A token for the account of `phone`, made now when it has none: (raw, token, user,
    created). Wrong codes count against the phone and the address like wrong passwords
    (accounts.lockout); a staff account's phone gets no token unless STAFF_API_TOKENS."""
    account = lockout.phone_account(phone)
    lockout.admit_or_429(address=address, account=account)
    try:
        phone_code_check(phone=phone, code=code)
    except NotAuthenticated:
        lockout.record_failure(address=address, account=account)
        raise
    lockout.record_success(address=address, account=account)
    created = False
    user_id = notify_selectors.user_id_for_phone(phone)
    if user_id is None:
        try:
            with transaction.atomic():
                user = _new_phone_account(phone)
                created = True
        except Conflict:  # the same phone signed in twice at once: the other made it
            user_id = notify_selectors.user_id_for_phone(phone)
            if user_id is None:
                raise
    if not created:
        user = User.objects.get(pk=user_id)
    if not user.is_active:
        raise NotAuthenticated("这个账号已停用。", code="account_disabled")
    if user.is_staff and not settings.STAFF_API_TOKENS:
        raise PermissionDenied("工作人员账号请在管理后台登录。", code="staff_sign_in_admin_only")
    raw, token = token_issue(user=user)
    return raw, token, user, created


def phone_contact_add(*, user: User, phone: str, code: str):
    """A phone the caller proved they hold (its code) becomes a contact point and a way to
    sign in."""
    phone_code_check(phone=phone, code=code)
    return notify_services.contact_add(user=user, channel="sms", address=phone, verified=True)



def _required(value: str | None, field: str) -> str:
    if not value:
        raise ValidationFailed([{"field": field, "message": "必填。", "code": "required"}])
    return value


def contact_add(*, user: User, channel: str, openid: str | None = None,
                phone: str | None = None, code: str | None = None,
                address: str | None = None):
    """A contact point for the caller: an openid, a phone proved by its code, an e-mail."""
    if channel == "wechat":
        return notify_services.contact_add(user=user, channel="wechat",
                                           address=_required(openid, "openid"), verified=True)
    if channel == "sms":
        number = phone_or_422(_required(phone, "phone"))
        return phone_contact_add(user=user, phone=number, code=_required(code, "code"))
    email = _required(address, "address").strip()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed([{"field": "address", "message": "不是有效的电子邮件地址。",
                                 "code": "invalid_format"}]) from None
    return notify_services.contact_add(user=user, channel="email", address=email,
                                       verified=False)

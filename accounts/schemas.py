from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from marketplace.schemas import TEXT, example


class RegisterIn(Schema):
    model_config = example(
        {"username": "xiuying",
         "password": "taikang-apples-2026",
         "display_name": "秀英",
         "phone": "13800000000"}
    )
    username: str = Field(..., min_length=3, max_length=150, pattern=r"^[\w.@+-]+$")
    password: str = Field(..., min_length=1, max_length=128)
    display_name: str = Field("", max_length=64, pattern=TEXT)
    phone: str = Field("", max_length=32, pattern=TEXT)


class TokenIn(Schema):
    model_config = example(
        {"username": "xiuying", "password": "taikang-apples-2026"}
    )
    username: str = Field(..., max_length=150, pattern=TEXT)
    password: str = Field(..., max_length=128)


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    producer_id: int | None
    promoter_id: int | None


class RegisterOut(Schema):
    user: UserOut
    token: str


class TokenOut(Schema):
    token: str
    expires_at: datetime


class SmsCodeIn(Schema):
    model_config = example({"phone": "13800138000"})
    phone: str = Field(..., max_length=32, description="中国大陆手机号，`+86` 可带")


class SmsCodeOut(Schema):
    expires_at: datetime
    resend_after: int = Field(..., description="seconds before another code may be asked for")


class PhoneSignInIn(Schema):
    model_config = example({"phone": "13800138000", "code": "123456"})
    phone: str = Field(..., max_length=32)
    code: str = Field(..., pattern=r"^\d{6}$")


class PhoneSignInOut(Schema):
    token: str
    expires_at: datetime
    user: UserOut
    created: bool


class ContactIn(Schema):
    model_config = example({"channel": "sms", "phone": "13800138000", "code": "123456"})
    channel: Literal["wechat", "sms", "email"]
    openid: str | None = Field(None, min_length=1, max_length=128, pattern=r"^[\w-]+$")
    phone: str | None = Field(None, max_length=32)
    code: str | None = Field(None, pattern=r"^\d{6}$")
    address: str | None = Field(None, max_length=254, pattern=TEXT)


class ContactOut(Schema):
    id: int
    channel: str = Field(..., description="`wechat`, `sms`, `email`; an open list")
    address: str = Field(..., description="the openid, phone or e-mail address")
    verified: bool
    created_at: datetime

    @staticmethod
    def resolve_verified(obj) -> bool:
        return obj.verified_at is not None

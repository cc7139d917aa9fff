from datetime import datetime

from ninja import Field, Schema


class RegisterIn(Schema):
    username: str = Field(..., min_length=3, max_length=150, pattern=r"^[\w.@+-]+$")
    password: str = Field(..., min_length=1, max_length=128)
    display_name: str = Field("", max_length=64)
    phone: str = Field("", max_length=32)


class TokenIn(Schema):
    username: str = Field(..., max_length=150)
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


class HealthOut(Schema):
    status: str
    database: str
    broker: str


class ErrorDetail(Schema):
    code: str
    message: str
    details: object | None = None


class ErrorOut(Schema):
    error: ErrorDetail

from datetime import datetime

from ninja import Field, Schema

# Shared by every app's schemas.
# PostgreSQL text cannot hold NUL: such input is a 422, not a 500 from the database.
TEXT = r"^[^\x00]*$"
# Database ids are 64-bit: a larger number is a 422, not a database overflow.
MAX_ID = 2**63 - 1
# Beside every amount, in each object that has one (API.md, Conventions).
CURRENCY = "CNY"


class RegisterIn(Schema):
    username: str = Field(..., min_length=3, max_length=150, pattern=r"^[\w.@+-]+$")
    password: str = Field(..., min_length=1, max_length=128)
    display_name: str = Field("", max_length=64, pattern=TEXT)
    phone: str = Field("", max_length=32, pattern=TEXT)


class TokenIn(Schema):
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

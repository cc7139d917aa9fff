from datetime import datetime

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

from datetime import datetime, time
from typing import Literal

from ninja import Field, Schema
from pydantic import model_validator

from marketplace.schemas import Id, example

CHANNELS = "`wechat`, `sms`, `email` (the inbox always has every notification)"


class DeliveryOut(Schema):
    channel: Literal["inbox", "wechat", "sms", "email"]
    status: Literal["sent", "failed", "skipped", "pending"] = Field(
        ..., description="`pending`: waiting for quiet hours to end, or for the provider")
    reason: str | None = Field(None, description="why it failed or was skipped")


class NotificationOut(Schema):
    id: int
    event: str = Field(..., description="`order_paid`, `order_shipped`, ...; an open list")
    title: str
    body: str
    data: dict
    created_at: datetime
    read_at: datetime | None
    deliveries: list[DeliveryOut]


class ReadIn(Schema):
    model_config = example({"ids": [41, 42]})
    ids: list[Id] = Field(default_factory=list, max_length=100)
    all: bool = False

    @model_validator(mode="after")
    def _one_of(self):
        if not self.ids and not self.all:
            raise ValueError("give `ids` or `all: true`")
        return self


class ReadOut(Schema):
    marked: int
    unread: int


class UnreadOut(Schema):
    count: int


HH_MM = r"^([01]\d|2[0-3]):[0-5]\d$"


class QuietHours(Schema):
    start: str = Field(..., pattern=HH_MM, description="HH:MM, Asia/Shanghai")
    end: str = Field(..., pattern=HH_MM,
                     description="HH:MM, Asia/Shanghai; before start: across midnight")

    def times(self) -> tuple[time, time]:
        return time.fromisoformat(self.start), time.fromisoformat(self.end)


class QuietHoursOut(Schema):
    start: str
    end: str


class PreferencesIn(Schema):
    model_config = example({"events": {"order_paid": ["wechat", "sms"],
                                       "statement_ready": ["email"]},
                            "quiet_hours": {"start": "22:00", "end": "05:00"}})
    events: dict[str, list[str]] = Field(default_factory=dict,
                                         description=f"event -> channels: {CHANNELS}")
    quiet_hours: QuietHours | None = Field(None, description="null: none")


class PreferencesOut(Schema):
    events: dict[str, list[str]]
    quiet_hours: QuietHoursOut | None


class WechatGrantIn(Schema):
    model_config = example({"template_id": "Xk3pQ_order_paid_template", "count": 1})
    template_id: str = Field(..., min_length=1, max_length=128, pattern=r"^[\w-]+$")
    count: int = Field(1, ge=1, le=100)


class WechatGrantOut(Schema):
    template_id: str
    remaining: int

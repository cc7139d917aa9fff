"""The events people can be told of: a catalogue, not a rule book. notify knows no domain: the
app where a change happens words the message and hands it over (`notify.notify`); this list
only says which events exist (preferences name them), which are urgent (they go at any hour,
by WeChat when a consent is left, else by SMS) and what a person sees them called.

A new event (the claims app's, say) is one line here and, for its SMS and WeChat words, a
template per channel (settings SMS_TEMPLATES, or the admin's templates)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    name: str
    label: str
    urgent: bool = False


EVENTS = {event.name: event for event in (
    # the farm
    Event("order_paid", "新订单待发货", urgent=True),
    Event("order_cancelled", "订单已取消，请勿发货", urgent=True),
    Event("claim_opened", "买家申请售后", urgent=True),
    Event("claim_escalated", "售后已升级平台处理", urgent=True),
    Event("claim_deadline", "售后即将超时", urgent=True),
    Event("payout_paid", "货款已打款"),
    Event("statement_ready", "周结算单已生成"),
    Event("verification_result", "商家资质审核结果"),
    Event("verification_expired", "商家资质需要复核"),
    Event("certificate_result", "证书审核结果"),
    # the buyer
    Event("order_shipped", "订单已发货"),
    Event("order_delivered", "订单已送达"),
    Event("refund_succeeded", "退款已到账"),
    Event("claim_answered", "售后有新进展"),
    Event("harvest_result", "预售采收结果"),
    # the promoter
    Event("commission_settled", "佣金已结算"),
    # the donor: a buyer whose order pledged to a village project
    Event("benefit_disbursed", "公益款已拨付"),
)}

# What a person hears by when they chose nothing for an event (the inbox always).
DEFAULT_CHANNELS = ["wechat", "sms", "email"]

# The SMS template of a sign-in or verification code; it is no notification (no inbox row).
SIGN_IN_CODE = "sign_in_code"


def is_event(name: str) -> bool:
    return name in EVENTS


def is_urgent(name: str) -> bool:
    event = EVENTS.get(name)
    return bool(event and event.urgent)

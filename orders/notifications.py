"""E-mails about orders, through Django's mail API (console backend unless configured).

Each parcel is notified once: the `*_notified_at` column is claimed with a conditional UPDATE
before sending and released if sending fails, so a retried or duplicated task sends one mail.
"""

import logging

from django.core.mail import send_mail
from django.utils import timezone

from orders.carriers import tracking_url
from orders.models import HarvestOrder, Shipment

logger = logging.getLogger(__name__)


class SendFailed(Exception):
    pass


def _send_once(shipment: Shipment, flag: str, *, subject: str, body: str, to: str) -> bool:
    if not to:
        return False
    if not Shipment.objects.filter(pk=shipment.pk, **{f"{flag}__isnull": True}).update(
        **{flag: timezone.now()}
    ):
        return False  # already sent
    try:
        send_mail(subject, body, None, [to])
    except Exception as exc:
        Shipment.objects.filter(pk=shipment.pk).update(**{flag: None})
        logger.warning("Could not send %s for shipment %s: %s", flag, shipment.pk, exc)
        raise SendFailed(str(exc)) from exc
    return True


def _lines_text(shipment: Shipment) -> str:
    return "\n".join(
        f"  {line.title} × {line.quantity} {line.unit}" for line in shipment.lines.all()
    )


def order_paid(*, order_id: int) -> int:
    """Each farm of a paid order gets its packing list and the address."""
    sent = 0
    shipments = (
        Shipment.objects.filter(order_id=order_id, status=Shipment.Status.PENDING)
        .select_related("order", "order__region", "producer__user")
        .prefetch_related("lines")
    )
    for shipment in shipments:
        order = shipment.order
        body = (
            f"订单 {order.number} 已付款，请尽快发货。\n\n{_lines_text(shipment)}\n\n"
            f"收货人：{order.recipient} {order.phone}\n"
            f"地址：{order.region.path} {order.detail}\n"
            + (f"买家留言：{order.note}\n" if order.note else "")
        )
        sent += _send_once(
            shipment, "producer_notified_at", subject=f"新订单 {order.number} 待发货",
            body=body, to=shipment.producer.user.email,
        )
    return sent


def shipment_shipped(*, shipment_id: int) -> int:
    """The buyer learns a parcel is on its way, with the carrier and tracking number."""
    shipment = (
        Shipment.objects.select_related("order__buyer", "producer")
        .prefetch_related("lines").filter(pk=shipment_id).first()
    )
    if shipment is None or shipment.status == Shipment.Status.PENDING:
        return 0
    order = shipment.order
    track = tracking_url(shipment.carrier_code, shipment.tracking_number)
    body = (
        f"您的订单 {order.number} 中来自{shipment.producer.name}的包裹已发货。\n\n"
        f"{_lines_text(shipment)}\n\n快递：{shipment.carrier}  单号：{shipment.tracking_number}\n"
        + (f"查询物流：{track}\n" if track else "")
    )
    return int(_send_once(
        shipment, "buyer_notified_at", subject=f"订单 {order.number} 已发货", body=body,
        to=order.buyer.email,
    ))


def order_cancelled(*, order_id: int) -> int:
    """A farm that was asked to ship a now cancelled order is told not to."""
    sent = 0
    shipments = (
        Shipment.objects.filter(order_id=order_id, status=Shipment.Status.CANCELLED,
                                producer_notified_at__isnull=False)
        .select_related("order", "producer__user").prefetch_related("lines")
    )
    for shipment in shipments:
        order = shipment.order
        sent += _send_once(
            shipment, "cancel_notified_at", subject=f"订单 {order.number} 已取消，请勿发货",
            body=f"订单 {order.number} 已取消，以下商品请勿发货：\n\n{_lines_text(shipment)}\n",
            to=shipment.producer.user.email,
        )
    return sent


def harvest_recorded(*, harvest_id: int) -> int:
    """Each buyer of a pre-sale learns what the harvest gives them and what comes back to them.
    The order's share is claimed (`notified_at`) before sending and released if sending fails."""
    sent = 0
    shares = (HarvestOrder.objects.filter(harvest_id=harvest_id, notified_at__isnull=True)
              .select_related("order__buyer", "harvest__listing"))
    for share in shares:
        order, to = share.order, share.order.buyer.email
        if not to or not HarvestOrder.objects.filter(
                pk=share.pk, notified_at__isnull=True).update(notified_at=timezone.now()):
            continue
        title = share.harvest.listing.title
        if share.cancelled:
            news = (f"很抱歉，今年收成不足，您预订的{title}未能分配到，订单已取消，"
                    f"货款 {share.refund} 元原路退回。")
        elif share.allocated < share.ordered:
            news = (f"今年收成不足，您预订的{title} {share.ordered} 份中分配到 "
                    f"{share.allocated} 份，未能发货部分的货款 {share.refund} 元原路退回。")
        else:
            news = f"您预订的{title} {share.ordered} 份已全部分配，将按约定时间发货。"
        try:
            send_mail(f"订单 {order.number} 预售采收结果", f"{news}\n\n订单号：{order.number}\n",
                      None, [to])
        except Exception as exc:
            HarvestOrder.objects.filter(pk=share.pk).update(notified_at=None)
            logger.warning("Could not tell order %s of its harvest: %s", order.pk, exc)
            raise SendFailed(str(exc)) from exc
        sent += 1
    return sent

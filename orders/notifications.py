"""What the orders app tells people, through notify (WeChat, SMS, e-mail, the inbox).

Each function runs in a task after the change committed (so the paying request pays for one
outbox INSERT, not for the words), reads what the message needs and calls `notify` once per
person, keyed so that a task run twice tells once. notify picks the channels and delivers.

- a farm of a paid order: `order_paid`, its packing list itself (lines, quantities, which lot to
  pack from, the address and the buyer's note), so it can pack from the SMS;
- a farm of an order cancelled after payment: `order_cancelled` (do not ship);
- the buyer, each parcel shipped: `order_shipped`, with the carrier's tracking link;
- the buyer, each parcel delivered (the buyer confirmed, or it was completed for them):
  `order_delivered`;
- each buyer of a pre-sale: `harvest_result`, what the harvest gives them.
"""

from django.db import transaction
from django.db.models import Prefetch

from notify import notify
from orders.carriers import tracking_url
from orders.models import HarvestOrder, OrderLine, Shipment
from producers.models import Batch

MAX_LOT_HINTS = 2


def _lot_hint(line: OrderLine) -> str:
    """Which lots to pack a line from: the listing's oldest harvests with units left."""
    open_lots = [batch for batch in line.listing.batches.all()
                 if batch.quantity is None or batch.shipped < batch.quantity]
    if not open_lots:
        return ""
    shown = "、".join(f"{b.lot_code}（{b.harvested_on:%m月%d日}采）"
                     for b in open_lots[:MAX_LOT_HINTS])
    return f"，批次 {shown}"


def _quantity(line: OrderLine) -> int:
    return line.quantity if line.allocated_quantity is None else line.allocated_quantity


def packing_list(shipment: Shipment) -> str:
    order = shipment.order
    lines = "\n".join(f"{n}. {line.title} × {_quantity(line)} {line.unit}{_lot_hint(line)}"
                      for n, line in enumerate(shipment.lines.all(), 1))
    ships_by = max((line.ships_by for line in shipment.lines.all() if line.ships_by),
                   default=None)
    return (
        f"订单 {order.number} 已付款，请尽快发货"
        + (f"（{ships_by:%m月%d日}前）" if ships_by else "") + "。\n"
        f"{lines}\n"
        f"收货人：{order.recipient} {order.phone}\n"
        f"地址：{order.region.path} {order.detail}"
        + (f"\n买家留言：{order.note}" if order.note else "")
    )


def _summary(shipment: Shipment) -> str:
    lines = list(shipment.lines.all())
    first = f"{lines[0].title}×{_quantity(lines[0])}" if lines else ""
    return first if len(lines) <= 1 else f"{first}等{len(lines)}种"


def order_paid(*, order_id: int) -> int:
    """Each farm of a paid order gets its packing list."""
    shipments = list(
        Shipment.objects.filter(order_id=order_id, status=Shipment.Status.PENDING)
        .select_related("order__region", "producer")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("id")
                                   .select_related("listing")),
                          Prefetch("lines__listing__batches",
                                   queryset=Batch.objects.order_by("harvested_on", "id")))
    )
    told = 0
    with transaction.atomic():
        for shipment in shipments:
            order = shipment.order
            told += notify(
                user_id=shipment.producer.user_id, event="order_paid",
                key=f"{order.number}/{shipment.pk}", title=f"新订单 {order.number} 待发货",
                body=packing_list(shipment),
                data={"order_id": order.pk, "order_number": order.number,
                      "shipment_id": shipment.pk, "summary": _summary(shipment),
                      "recipient": order.recipient}) is not None
    return told


def order_cancelled(*, order_id: int) -> int:
    """The farms of an order cancelled after payment (all were told to pack it) are told not
    to ship."""
    shipments = list(
        Shipment.objects.filter(order_id=order_id, status=Shipment.Status.CANCELLED,
                                order__paid_at__isnull=False)
        .select_related("order", "producer")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("id")))
    )
    told = 0
    with transaction.atomic():
        for shipment in shipments:
            order = shipment.order
            lines = "\n".join(f"{line.title} × {line.quantity} {line.unit}"
                              for line in shipment.lines.all())
            told += notify(
                user_id=shipment.producer.user_id, event="order_cancelled",
                key=f"{order.number}/{shipment.pk}",
                title=f"订单 {order.number} 已取消，请勿发货",
                body=f"订单 {order.number} 已取消，以下商品请勿发货：\n{lines}",
                data={"order_id": order.pk, "order_number": order.number,
                      "shipment_id": shipment.pk, "summary": _summary(shipment)}) is not None
    return told


def shipment_shipped(*, shipment_id: int) -> int:
    """The buyer learns a parcel is on its way, with the carrier, the number and the link to
    follow it."""
    shipment = (Shipment.objects.select_related("order", "producer")
                .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("id")))
                .filter(pk=shipment_id).exclude(status=Shipment.Status.PENDING).first())
    if shipment is None:
        return 0
    order = shipment.order
    track = tracking_url(shipment.carrier_code, shipment.tracking_number)
    lines = "\n".join(f"{line.title} × {_quantity(line)} {line.unit}"
                      for line in shipment.lines.all())
    body = (f"您的订单 {order.number} 中来自{shipment.producer.name}的包裹已发货。\n{lines}\n"
            f"快递：{shipment.carrier}  单号：{shipment.tracking_number}"
            + (f"\n查询物流：{track}" if track else ""))
    with transaction.atomic():
        return int(notify(
            user_id=order.buyer_id, event="order_shipped", key=f"{order.number}/{shipment.pk}",
            title=f"订单 {order.number} 已发货", body=body,
            data={"order_id": order.pk, "order_number": order.number,
                  "shipment_id": shipment.pk, "carrier": shipment.carrier,
                  "tracking_number": shipment.tracking_number, "tracking_url": track or "",
                  "summary": _summary(shipment)}) is not None)


def shipment_delivered(*, shipment_id: int) -> int:
    """The buyer learns a parcel counts as delivered (the return window runs from now)."""
    shipment = (Shipment.objects.select_related("order", "producer")
                .filter(pk=shipment_id, status=Shipment.Status.DELIVERED).first())
    if shipment is None:
        return 0
    order = shipment.order
    with transaction.atomic():
        return int(notify(
            user_id=order.buyer_id, event="order_delivered",
            key=f"{order.number}/{shipment.pk}", title=f"订单 {order.number} 已送达",
            body=(f"您的订单 {order.number} 中来自{shipment.producer.name}的包裹已确认送达。"
                  f"如有损坏或短缺，请在售后期内申请。"),
            data={"order_id": order.pk, "order_number": order.number,
                  "shipment_id": shipment.pk}) is not None)


def harvest_recorded(*, harvest_id: int) -> int:
    """Each buyer of a pre-sale learns what the harvest gives them and what comes back."""
    shares = list(HarvestOrder.objects.filter(harvest_id=harvest_id)
                  .select_related("order", "harvest__listing"))
    told = 0
    with transaction.atomic():
        for share in shares:
            order, title = share.order, share.harvest.listing.title
            if share.cancelled:
                news = (f"很抱歉，今年收成不足，您预订的{title}未能分配到，订单已取消，"
                        f"货款 {share.refund} 元原路退回。")
            elif share.allocated < share.ordered:
                news = (f"今年收成不足，您预订的{title} {share.ordered} 份中分配到 "
                        f"{share.allocated} 份，未能发货部分的货款 {share.refund} 元原路退回。")
            else:
                news = f"您预订的{title} {share.ordered} 份已全部分配，将按约定时间发货。"
            told += notify(
                user_id=order.buyer_id, event="harvest_result", key=f"{harvest_id}/{order.pk}",
                title=f"订单 {order.number} 预售采收结果", body=f"{news}\n订单号：{order.number}",
                data={"order_id": order.pk, "order_number": order.number,
                      "allocated": share.allocated, "ordered": share.ordered,
                      "refund": str(share.refund)}) is not None
    return told


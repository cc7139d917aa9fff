"""Telling people what they must know: WeChat subscribe messages, SMS, e-mail and the inbox.

notify knows no domain. An app tells a person of something with one call, made INSIDE the
transaction of the change (as `outbox.enqueue` is):

    from notify import notify

    with transaction.atomic():
        ...  # the change
        notify(user_id=shipment.producer.user_id, event="order_paid",
               key=order.number,               # once per (person, event, key)
               title=f"新订单 {order.number} 待发货",
               body="...the whole text, a packing list if it is one...",
               data={"order_id": order.pk})    # shown to the app; template words too

It writes the inbox row and an outbox intent (two INSERTs); after the commit a task picks the
channels (the person's preferences, contact points, WeChat consents, quiet hours) and each
delivery is sent once by its own intent. The event must be named in `notify.events` (one line;
urgent or not). Words for the SMS and WeChat templates come from `title`, `body` and `data`.
Returns the notification, or None when that key was already used.
"""


def notify(*, user_id: int, event: str, key: str, title: str, body: str,
           data: dict | None = None):
    """Tell a person of `event` (see above)."""
    from notify.services import notification_create

    return notification_create(user_id=user_id, event=event, key=key, title=title, body=body,
                               data=data)

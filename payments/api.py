from django.http import HttpRequest
from ninja import Router

from accounts.auth import bearer
from marketplace.idempotency import idempotent
from marketplace.schemas import PathId
from marketplace.visitors import client_address
from orders import selectors as order_selectors
from orders.schemas import OrderOut, PayIn, WebhookOut
from payments import services

router = Router(tags=["payments"])


@router.post("/orders/{order_id}/pay", response=OrderOut, auth=bearer)
@idempotent(OrderOut)
def order_pay(request: HttpRequest, order_id: PathId, payload: PayIn):
    """Pay the order (the buyer). The sandbox settles at once; WeChat Pay and Alipay answer
    with `payment.action`, and the order is `paid` when the platform reports the money taken.
    Cancelled or past its payment window -> 409 invalid_state; a method not enabled -> 409
    payment_method_unavailable; the platform unreachable -> 503. Honours `Idempotency-Key`."""
    services.payment_start(order_id=order_id, user=request.auth, method=payload.method,
                           openid=payload.openid or "", client_ip=client_address(request))
    return order_selectors.order_get(user=request.auth, order_id=order_id)


@router.post("/payments/webhooks/{provider}", response=WebhookOut)
def payment_webhook(request: HttpRequest, provider: str):
    """A payment platform's signed notification, answered as that platform expects (WeChat
    Pay: 204, or 401 `{"code": "FAIL"}`; Alipay: the text `success`; the sandbox: this JSON).
    Duplicates are answered as successes and change nothing."""
    return services.notification_receive(provider_name=provider, request=request)

from django.http import HttpRequest
from ninja import Router

from orders.schemas import WebhookOut
from payments import services

router = Router(tags=["payments"])


@router.post("/payments/webhooks/{provider}", response=WebhookOut)
def payment_webhook(request: HttpRequest, provider: str):
    """A payment platform's signed notification, answered as that platform expects (WeChat
    Pay: 204, or 401 `{"code": "FAIL"}`; Alipay: the text `success`; the sandbox: this JSON).
    Duplicates are answered as successes and change nothing."""
    return services.notification_receive(provider_name=provider, request=request)

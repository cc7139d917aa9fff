"""Account reads."""

from accounts.models import User


def user_with_roles(user_id: int) -> dict:
    user = User.objects.select_related("producer", "promoter").get(pk=user_id)
    producer = getattr(user, "producer", None)
    promoter = getattr(user, "promoter", None)
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "producer_id": producer.pk if producer else None,
        "promoter_id": promoter.pk if promoter else None,
    }

"""Helpers shared by the apps' demo modules."""

from dataclasses import dataclass

from marketplace.models import User


@dataclass
class DemoAccount:
    username: str
    password: str
    role: str


def ensure_account(
    username: str, password: str, *, display_name: str = "", staff: bool = False, role: str = ""
) -> DemoAccount:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"display_name": display_name, "is_staff": staff, "is_superuser": staff},
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    return DemoAccount(username, password, role or ("staff" if staff else "buyer"))


def demo_user(username: str) -> User:
    return User.objects.get(username=username)

"""The demo accounts: made (once) with a published password, and listed at the end of `manage.py
demo` with their role."""

from dataclasses import dataclass

from accounts.models import User
from accounts.services import user_register


@dataclass
class DemoAccount:
    username: str
    password: str
    role: str


def ensure_account(
    username: str, password: str, *, display_name: str = "", staff: bool = False, role: str = ""
) -> DemoAccount:
    """The account, registered as the API registers one (staff as `createsuperuser` makes
    them) unless it exists already."""
    if not User.objects.filter(username=username).exists():
        if staff:
            User.objects.create_superuser(username, password=password, display_name=display_name)
        else:
            user_register(username=username, password=password, display_name=display_name)
    return DemoAccount(username, password, role or ("staff" if staff else "buyer"))


def demo_user(username: str) -> User:
    return User.objects.get(username=username)

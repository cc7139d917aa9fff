from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from accounts.usernames import username_key


class User(AbstractUser):
    """Every account can buy; a Producer or Promoter profile adds that role."""

    display_name = models.CharField(max_length=64, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    # The username as two names are compared (accounts.usernames: NFKC, case-folded), unique:
    # `CaseRace` and `caserace` cannot both exist, however close together they register.
    username_key = models.CharField(max_length=160, unique=True, editable=False)

    class Meta(AbstractUser.Meta):
        # The table it had when it lived in `marketplace` (accounts/migrations/0001_initial):
        # existing databases keep their rows, foreign keys and tokens without a copy.
        db_table = "marketplace_user"

    def __str__(self) -> str:
        return self.display_name or self.username

    def save(self, *args, **kwargs):
        # set_password() leaves the raw password in _password until the row is saved: a
        # password change (admin, API, `changepassword`) then revokes every API token, so a
        # token taken by whoever knew the old password stops working too.
        password_changed = self._password is not None and self.pk is not None
        self.username_key = username_key(self.username)
        if kwargs.get("update_fields") is not None and "username" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "username_key"}
        super().save(*args, **kwargs)
        if password_changed:
            Token.objects.filter(user=self, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )


class Token(models.Model):
    """An API bearer token. Only the SHA-256 of the token is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "marketplace_token"  # as User's

    def __str__(self) -> str:
        return f"token {self.pk} of {self.user}"


class PhoneCode(models.Model):
    """The sign-in (or verification) code last sent to a phone: one row per phone, replaced by
    each new code. Only an HMAC of the phone and the code is stored. `day_count` codes were
    sent on `day` (Asia/Shanghai); `attempts` wrong codes were tried against this one."""

    phone = models.CharField(max_length=11, unique=True)
    code_hash = models.CharField(max_length=64)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    spent = models.BooleanField(default=False)
    day = models.DateField()
    day_count = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"code for {self.phone[:3]}****{self.phone[-4:]}"

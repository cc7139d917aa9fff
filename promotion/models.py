from django.conf import settings
from django.db import models


class Promoter(models.Model):
    """A short-video creator who promotes listings; one per account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="promoter"
    )
    display_name = models.CharField(max_length=64)
    bio = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_name

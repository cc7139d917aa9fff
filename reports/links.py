"""Download links: signed, tied to one report, its owner and its file, and expiring with it.

The link alone is not enough: the download also needs the owner's bearer token, so a link
forwarded in a chat opens nothing for anyone else.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from reports.models import Report

_SALT = "shanhuo.reports.download"


def _signer() -> signing.Signer:
    return signing.Signer(salt=_SALT)


def download_url(report: Report) -> str | None:
    """The link while the file is there and has not expired, else None."""
    if report.status != Report.Status.DONE or not report.file_name:
        return None
    if report.expires_at <= timezone.now():
        return None
    token = _signer().sign_object({
        "r": report.pk, "u": report.owner_id, "f": report.file_name,
        "e": int(report.expires_at.timestamp()),
    })
    path = reverse("api:report_download", kwargs={"report_id": report.pk})
    return f"{settings.SITE_URL}{path}?token={token}"


def token_matches(report: Report, token: str) -> bool:
    """The token was signed by us for this report, this owner and this very file."""
    try:
        data = _signer().unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return False
    return isinstance(data, dict) and data.get("r") == report.pk and (
        data.get("u") == report.owner_id and data.get("f") == report.file_name
        and data.get("e") == int(report.expires_at.timestamp())
    )

"""Certificates' fixtures: the producers' two farms and listing, a lot of that listing, and
staff in the admin (where verifications and certificates are decided)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.factories import make_batch, make_user, pdf_bytes
from tests.producers.conftest import (  # noqa: F401 (fixtures)
    listing,
    other_api,
    other_producer,
    owner_api,
    png_bytes,
    producer,
)


@pytest.fixture
def batch(listing):  # noqa: F811 (the fixture)
    return make_batch(listing=listing, lot_code="FJ-2026-07", quantity=500,
                      certifications=["绿色食品", "有机", "自然成熟"])


@pytest.fixture
def staff(db) -> Client:
    client = Client()
    client.force_login(make_user(username="clerk", is_staff=True, is_superuser=True))
    return client


def pdf(name: str = "licence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def photo(name: str = "licence.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def text_file(name: str = "licence.pdf") -> SimpleUploadedFile:
    """A file that says it is a PDF and is not one."""
    return SimpleUploadedFile(name, b"just some words, no PDF here\n",
                              content_type="application/pdf")


def decide(staff: Client, model: str, pk: int, decision: str, reason: str = ""):
    """Staff's decision in the admin's change form (verify, or reject with a reason)."""
    return staff.post(f"/admin/certificates/{model}/{pk}/change/",
                      {"decision": decision, "decision_reason": reason, "_save": "1"})

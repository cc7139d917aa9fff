"""Uploaded licences and certificates: what a file is, told by its first bytes (never by its
name or the type the phone claims). A PDF or a JPEG, PNG or WebP image is accepted; anything
else is a 415, anything over CERTIFICATE_FILE_MAX_BYTES a 413."""

import warnings

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from marketplace.errors import PayloadTooLarge, UnsupportedMediaType

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png",
              "image/webp": "webp"}


def sniffed_type(file, *, field: str = "file") -> str:
    """The content type of an upload from its content: application/pdf or an image type."""
    size = getattr(file, "size", None) or 0
    if size > settings.CERTIFICATE_FILE_MAX_BYTES:
        raise PayloadTooLarge(
            f"A file may have at most {settings.CERTIFICATE_FILE_MAX_BYTES:,} bytes.",
            code="file_too_large",
            details={"field": field, "max_bytes": settings.CERTIFICATE_FILE_MAX_BYTES})
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(file, formats=list(IMAGE_TYPES)) as image:
                kind = IMAGE_TYPES[image.format]
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
            kind = None
    file.seek(0)
    if kind is None:
        raise UnsupportedMediaType("Only PDF files and JPEG, PNG or WebP images are accepted.",
                                   code="unsupported_file", details={"field": field})
    return kind

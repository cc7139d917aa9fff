"""Listing photos: checked by content, cleaned of metadata, and cut into WebP thumbnails.

Pillow reads only the header on `Image.open`, so the format and the pixel count are known
before anything is decoded: a decompression bomb (a small file that claims 20000x20000
pixels) is refused with a 413 without allocating its pixels.

The request does only what is cheap and bounded (hardening round three, item 14): the header
checks and one decode (`check_decodes`: a JPEG at an eighth of its size, any photo under the
byte and pixel caps), so that a damaged photo is refused there with a 415. Re-encoding
(`clean_upload`), whose cost grows with the pixels, and the thumbnails are the worker's.
"""

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from marketplace.errors import PayloadTooLarge, UnsupportedMediaType

FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# Longest side of each thumbnail, in pixels.
THUMBNAIL_SIZES = {"small": 240, "medium": 720}

# Pillow's own bomb guard: a warning past the limit, an error past twice the limit. The checks
# below refuse anything past the limit before Pillow decodes it; this is the backstop.
Image.MAX_IMAGE_PIXELS = settings.LISTING_IMAGE_MAX_PIXELS


# A photo is stored as it came (EXIF, GPS and all) under "<uuid>-upload.<ext>" until the worker
# has cleaned it into "<uuid>.<ext>": the URL of such an upload is never given out.
UPLOAD_MARK = "-upload"


def is_upload(name: str) -> bool:
    """Is the stored file `name` an upload not yet cleaned (whose URL must not be shown)?"""
    return name.rsplit("/", 1)[-1].rsplit(".", 1)[0].endswith(UPLOAD_MARK)


def upload_name_of(name: str) -> str:
    """The name the upload of the cleaned original `name` was stored under (the same folder)."""
    folder, _, base = name.rpartition("/")
    stem, dot, extension = base.rpartition(".")
    return f"{folder}/{stem}{UPLOAD_MARK}{dot}{extension}" if folder else (
        f"{stem}{UPLOAD_MARK}{dot}{extension}")


def shown_original(name: str) -> str:
    """The stored original's name as the API may show it: "" while it is an upload."""
    return "" if is_upload(name) else name


@dataclass
class CleanImage:
    content: bytes
    extension: str
    width: int
    height: int


def _too_many_pixels(width: int, height: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The image is {width}x{height} pixels; at most "
        f"{settings.LISTING_IMAGE_MAX_PIXELS:,} pixels are accepted.",
        code="image_too_large",
        details={"width": width, "height": height,
                 "max_pixels": settings.LISTING_IMAGE_MAX_PIXELS},
    )


def _open(file) -> Image.Image:
    """Open (header only) and check format and size; raise 415 / 413."""
    file.seek(0)
    with warnings.catch_warnings():
        # Past the limit Pillow warns; the check below refuses it with the image's size.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(file, formats=list(FORMATS))
        except Image.DecompressionBombError as exc:
            raise PayloadTooLarge(
                f"The image has far more than {settings.LISTING_IMAGE_MAX_PIXELS:,} pixels.",
                code="image_too_large",
                details={"max_pixels": settings.LISTING_IMAGE_MAX_PIXELS},
            ) from exc
        except UnidentifiedImageError as exc:
            raise UnsupportedMediaType(
                "Only JPEG, PNG and WebP photos are accepted.", code="unsupported_image"
            ) from exc
        except (OSError, SyntaxError, ValueError) as exc:
            # a format we take, whose header is cut short or damaged
            raise UnsupportedMediaType(
                "The photo could not be read; it may be damaged.", code="unreadable_image"
            ) from exc
    width, height = image.size
    if width * height > settings.LISTING_IMAGE_MAX_PIXELS:
        raise _too_many_pixels(width, height)
    return image


@dataclass
class Header:
    extension: str  # of the format it is kept in (MPO is kept as a JPEG)
    width: int  # upright, as the cleaned photo will be
    height: int


def check_header(file) -> Header:
    """Format and pixel count from the header alone (nothing decoded): 415 / 413."""
    image = _open(file)
    width, height = image.size
    # EXIF orientation 5-8 turns the photo a quarter: the size shown is the upright one (the
    # EXIF block is read with the header; nothing is decoded)
    if image.getexif().get(0x0112) in {5, 6, 7, 8}:
        width, height = height, width
    file.seek(0)
    return Header(FORMATS["JPEG" if image.format == "MPO" else image.format], width, height)


def check_decodes(file) -> None:
    """Decode the photo once, as cheaply as its format allows (a JPEG at 1/8 scale: its data
    is read whole, its pixels computed an eighth of the way), to refuse a damaged one (415)
    while the uploader waits. The cost is bounded by the byte and pixel caps; nothing is
    encoded."""
    image = _open(file)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if image.format in {"JPEG", "MPO"}:
                image.draft(image.mode, (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PayloadTooLarge(str(exc), code="image_too_large") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedMediaType(
            "The photo could not be read; it may be damaged.", code="unreadable_image"
        ) from exc
    file.seek(0)


def check_size(size: int) -> None:
    limit = settings.LISTING_IMAGE_MAX_BYTES
    if size > limit:
        raise PayloadTooLarge(
            f"The photo is {size:,} bytes; at most {limit:,} bytes are accepted.",
            code="image_too_large",
            details={"size": size, "max_bytes": limit},
        )


def clean_upload(file, size: int) -> CleanImage:
    """The photo re-encoded in its own format and turned upright, with no EXIF (no GPS), XMP
    or comments carried over; only the colour profile is kept. Its cost grows with the
    pixels: the worker's work, not a request's (a PNG is written at zlib's default level:
    `optimize` took 40-96 s of CPU for a 23-megapixel one)."""
    check_size(size)
    image = _open(file)
    # Many phones save MPO: a JPEG followed by more frames (a depth map, a second lens). Pillow
    # names it "MPO"; the first frame is the photo, kept as a plain JPEG.
    kind = "JPEG" if image.format == "MPO" else image.format
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            image = ImageOps.exif_transpose(image)
        # Re-encoding writes only the pixels and the colour profile: EXIF (GPS, camera), XMP,
        # comments and text chunks of the upload are not carried over.
        # Pillow carries some of `info` (a JPEG comment, say) into what it saves: keep only
        # what the pixels need.
        image.info = {k: v for k, v in image.info.items() if k in {"icc_profile", "transparency"}}
        icc = image.info.get("icc_profile") or None
        if kind == "JPEG":
            if image.mode not in {"RGB", "L"}:
                image = image.convert("RGB")
            image.save(buffer, "JPEG", quality=90, optimize=True, icc_profile=icc)
        elif kind == "PNG":
            if image.mode not in {"RGB", "RGBA", "L", "LA", "P"}:
                image = image.convert("RGBA")
            image.save(buffer, "PNG", icc_profile=icc)
        else:
            if image.mode not in {"RGB", "RGBA"}:
                image = image.convert("RGBA")
            image.save(buffer, "WEBP", quality=90, icc_profile=icc)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PayloadTooLarge(str(exc), code="image_too_large") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedMediaType(
            "The photo could not be read; it may be damaged.", code="unreadable_image"
        ) from exc
    return CleanImage(buffer.getvalue(), FORMATS[kind], image.width, image.height)


def make_thumbnails(file) -> dict[str, tuple[bytes, int, int]]:
    """name -> (WebP bytes, width, height), each fitting a square of THUMBNAIL_SIZES[name]
    (never enlarged)."""
    image = _open(file)
    image.load()
    if image.mode not in {"RGB", "RGBA"}:
        transparent = image.mode in {"P", "LA", "PA"} or "transparency" in image.info
        image = image.convert("RGBA" if transparent else "RGB")
    thumbnails = {}
    for name, side in THUMBNAIL_SIZES.items():
        thumb = image.copy()
        thumb.thumbnail((side, side), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        thumb.save(buffer, "WEBP", quality=82, method=4)
        thumbnails[name] = (buffer.getvalue(), thumb.width, thumb.height)
    return thumbnails

"""The files of a claim: photos cleaned as listing photos are (producers.images: format and
pixel limits, EXIF and GPS gone), with a perceptual hash and the time the photo says it was
taken; short videos (MP4 / QuickTime) with their metadata boxes blanked."""

import io
import struct
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import imagehash
from django.conf import settings
from PIL import Image

from marketplace.errors import PayloadTooLarge, UnsupportedMediaType
from producers import images

LOCAL = ZoneInfo("Asia/Shanghai")
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011
DATETIME = 0x0132
# ISO base media boxes that hold other boxes, and those that hold who, where and with what a
# video was made (udta: ©xyz GPS, camera make; meta: Apple's keys; uuid: XMP)
CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"edts", b"dinf", b"stbl"}
METADATA = {b"udta", b"meta", b"uuid"}
VIDEO_BRANDS = {b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"qt  ", b"M4V ", b"3gp4",
                b"3gp5", b"3g2a", b"dash"}


@dataclass
class CleanFile:
    content: bytes
    extension: str
    kind: str  # photo | video
    phash: str = ""
    taken_at: datetime | None = None


def _taken_at(file) -> datetime | None:
    """When the photo says it was taken (EXIF DateTimeOriginal, else DateTime), in its own
    offset when it gives one, else Asia/Shanghai's; None when it says nothing readable."""
    file.seek(0)
    try:
        with Image.open(file) as image:
            exif = image.getexif()
            inner = exif.get_ifd(EXIF_IFD)
            text = inner.get(DATETIME_ORIGINAL) or exif.get(DATETIME)
            offset = inner.get(OFFSET_TIME_ORIGINAL)
    except Exception:  # noqa: BLE001 - a photo whose EXIF cannot be read simply has no time
        return None
    finally:
        file.seek(0)
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.strptime(text.strip()[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if isinstance(offset, str):
        try:
            return datetime.strptime(f"{moment:%Y-%m-%d %H:%M:%S}{offset.strip()}",
                                     "%Y-%m-%d %H:%M:%S%z")
        except ValueError:
            pass
    return moment.replace(tzinfo=LOCAL)


def photo_clean(file, size: int) -> CleanFile:
    """A photo: 413 / 415 as for listing photos; stored re-encoded, with its pHash."""
    images.check_size(size)
    images.check_header(file)
    taken_at = _taken_at(file)
    clean = images.clean_upload(file, size)
    with Image.open(io.BytesIO(clean.content)) as image:
        phash = str(imagehash.phash(image))
    return CleanFile(clean.content, clean.extension, "photo", phash, taken_at)


def _boxes(data: bytearray, start: int, end: int):
    """(type, header length, start, end) of each box between start and end."""
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        header = 8
        if size == 1:
            if at + 16 > end:
                raise ValueError("truncated box")
            size = struct.unpack(">Q", data[at + 8:at + 16])[0]
            header = 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            raise ValueError("bad box size")
        yield kind, header, at, at + size
        at += size


def _blank_metadata(data: bytearray, start: int, end: int, depth: int = 0) -> None:
    """Every metadata box becomes a `free` box of the same size, zero-filled: no offset in
    the file moves, so the video plays as before."""
    for kind, header, box_start, box_end in list(_boxes(data, start, end)):
        if kind in METADATA:
            data[box_start + 4:box_start + 8] = b"free"
            data[box_start + header:box_end] = bytes(box_end - box_start - header)
        elif kind in CONTAINERS and depth < 8:
            _blank_metadata(data, box_start + header, box_end, depth + 1)


def video_clean(file, size: int) -> CleanFile:
    """A short MP4 or QuickTime video, at most CLAIM_VIDEO_MAX_BYTES: 413 / 415 otherwise."""
    limit = settings.CLAIM_VIDEO_MAX_BYTES
    if size > limit:
        raise PayloadTooLarge(f"The video is {size:,} bytes; at most {limit:,} are accepted.",
                              code="video_too_large",
                              details={"size": size, "max_bytes": limit})
    file.seek(0)
    data = bytearray(file.read(limit + 1))
    if len(data) > limit:
        raise PayloadTooLarge(f"The video is over {limit:,} bytes.", code="video_too_large",
                              details={"max_bytes": limit})
    if data[4:8] != b"ftyp" or bytes(data[8:12]) not in VIDEO_BRANDS:
        raise UnsupportedMediaType("Only MP4 and QuickTime videos are accepted.",
                                   code="unsupported_video")
    try:
        kinds = {kind for kind, *_ in _boxes(data, 0, len(data))}
        if b"moov" not in kinds:
            raise ValueError("no moov box")
        _blank_metadata(data, 0, len(data))
    except (ValueError, struct.error) as exc:
        raise UnsupportedMediaType("The video could not be read; it may be damaged.",
                                   code="unreadable_video") from exc
    extension = "mov" if bytes(data[8:12]) == b"qt  " else "mp4"
    return CleanFile(bytes(data), extension, "video")


def clean(file, size: int) -> CleanFile:
    """A photo or a video, told apart by their first bytes (not by the name or the declared
    type)."""
    file.seek(0)
    head = file.read(12)
    file.seek(0)
    if head[4:8] == b"ftyp" and head[8:12] not in (b"heic", b"heix", b"avif", b"mif1"):
        return video_clean(file, size)
    return photo_clean(file, size)

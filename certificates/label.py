"""The 承诺达标合格证 label: a PNG for a label printer, 60 x 40 mm at 300 dpi (709 x 472
pixels), with the words 承诺达标合格证, the certificate's fields and the lot's QR code, which
opens the trace page (the same code as the lot's QR label: producers.tracecodes).

Chinese needs a font with its glyphs: LABEL_FONT, else the first of the usual system fonts
found (`make browser-deps` installs WenQuanYi Micro Hei). Without one the label still carries
its QR code and a warning is logged."""

import functools
import io
import logging
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

from certificates import texts
from producers.tracecodes import qr_code

logger = logging.getLogger(__name__)

DPI = 300
WIDTH_MM, HEIGHT_MM = 60, 40
SIZE = (round(WIDTH_MM / 25.4 * DPI), round(HEIGHT_MM / 25.4 * DPI))  # 709 x 472
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


def font_path() -> str | None:
    """The font the labels are drawn with (LABEL_FONT, else the first system font found)."""
    if settings.LABEL_FONT:
        return settings.LABEL_FONT
    return next((path for path in FONT_CANDIDATES if Path(path).is_file()), None)


@functools.lru_cache(maxsize=16)
def _font(path: str | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if path:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            logger.warning("label font %s cannot be read; labels are drawn without Chinese",
                           path)
    else:
        logger.warning("no font with Chinese glyphs found (set LABEL_FONT); labels are drawn "
                       "without Chinese")
    return ImageFont.load_default(size)


def font(size: int):
    return _font(font_path(), size)


def _fit(draw: ImageDraw.ImageDraw, text: str, face, width: int) -> str:
    """`text` cut (with …) to `width` pixels."""
    if draw.textlength(text, font=face) <= width:
        return text
    while text and draw.textlength(text + "…", font=face) > width:
        text = text[:-1]
    return text + "…"


def label_png(*, trace_code: str, fields: list[tuple[str, str]]) -> bytes:
    """The label of a lot's 承诺达标合格证: the title across the top, the QR code to the trace
    page on the left, `fields` ((name, value) pairs) on the right."""
    image = Image.new("L", SIZE, 255)
    draw = ImageDraw.Draw(image)
    title = font(54)
    draw.text((SIZE[0] // 2, 12), texts.LABEL_TITLE, font=title, fill=0, anchor="mt")
    draw.line([(12, 80), (SIZE[0] - 12, 80)], fill=0, width=3)
    qr = qr_code(trace_code)
    modules = qr.symbol_size(scale=1, border=2)[0]
    scale = max(1, (SIZE[1] - 96) // modules)
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=scale, border=2)
    symbol = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    image.paste(symbol, (8, 88))
    left = 8 + symbol.width + 10
    small = font(26)
    line_height, top = 42, 92
    for name, value in fields[: (SIZE[1] - top) // line_height]:
        text = _fit(draw, f"{name}：{value}", small, SIZE[0] - left - 8)
        draw.text((left, top), text, font=small, fill=0)
        top += line_height
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(DPI, DPI), optimize=True)
    return out.getvalue()

"""Decoding and resizing with Pillow: only real images pass, and a decompression bomb is refused before it is
decoded (byte and pixel caps, checked on the header)."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from storefront.domain_errors import DomainError
from storefront.media.models import SIZES

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp"),
           "GIF": ("image/gif", "gif")}
CONTENT_TYPES = {ext: content_type for content_type, ext in FORMATS.values()}
MAX_PIXELS = 40_000_000  # 40 megapixels: beyond any product photo, well below what would exhaust a worker
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own guard, for any other code path that opens images


class InvalidImage(DomainError):
    code = "invalid_image"


@dataclass(frozen=True)
class Processed:
    original: bytes
    original_type: str
    extension: str
    width: int
    height: int
    resized: dict[int, bytes]  # size → WebP bytes, SIZE×SIZE


def process(data: bytes, max_bytes: int) -> Processed:
    """The original as given plus its resized copies; InvalidImage (field "image") when it is not a usable image."""
    if not data:
        raise InvalidImage(_("The file is empty."), field="image")
    if len(data) > max_bytes:
        raise InvalidImage(_("The image is larger than the limit of %(limit)s bytes.", limit=f"{max_bytes:,}"), field="image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                if kind not in FORMATS:
                    raise InvalidImage(_("Only JPEG, PNG, WebP and GIF images can be used."), field="image")
                if probe.width * probe.height > MAX_PIXELS:
                    raise InvalidImage(_("The image has too many pixels."), field="image")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.seek(0)
                image.load()
                picture = ImageOps.exif_transpose(image).convert("RGBA")
    except InvalidImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidImage(_("The image has too many pixels."), field="image") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidImage(_("The file is not an image that can be read."), field="image") from None
    resized = {}
    for size in SIZES:
        copy = picture.copy()
        copy.thumbnail((size, size), Image.Resampling.LANCZOS)
        canvas = Image.new("RGB", (size, size), (255, 255, 255))
        canvas.paste(copy, ((size - copy.width) // 2, (size - copy.height) // 2), copy)
        out = io.BytesIO()
        canvas.save(out, "WEBP", quality=82, method=4)
        resized[size] = out.getvalue()
    content_type, extension = FORMATS[kind]
    return Processed(data, content_type, extension, picture.width, picture.height, resized)
